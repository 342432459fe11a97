import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { kafkaIngestArgs, multiplexCount, sendRaw, startCli, tempHome, uniquePrefix, waitFor, type CliProcess } from "../ingest/helpers.js";
import { launchChromium, startServe, type Served } from "./serveHarness.js";

describe("pulse serve: the ingest beside the pipeline", { timeout: 300_000 }, () => {
  let ingest: CliProcess | undefined;
  let served: Served | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (ingest && ingest.child.exitCode === null) {
      ingest.child.kill("SIGTERM");
      await ingest.exited;
    }
  });

  it("shows a running Kafka ingest's lag and dead letters, and drops it live when the process stops", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("serve-ingest");
    const valid = (t: number) => JSON.stringify({ device_id: 118440, time: t, heartrate: 61 });
    await sendRaw(`${prefix}bpm`, [valid(1678410000), "not json {", valid(1678410001), JSON.stringify({ device_id: 118440, heartrate: 70 })]);
    ingest = startCli(kafkaIngestArgs(home, prefix, ["--topics", "bpm"]));
    await waitFor("the valid readings in bronze", async () => (await multiplexCount(home)) === 2, 60_000, 250, ingest);

    served = await startServe(home);
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${served.url}/pipeline`, { waitUntil: "load" });
    const row = `#ingest-table tbody tr`;
    // The page shows what the ingest process recorded at its last flush, the poison counted from the lake.
    await page.waitForSelector(`${row} td[data-col="deadLetters"]:text("2")`, { timeout: 10_000 });
    const cells = await page.$$eval(`${row} td`, (tds) => Object.fromEntries(tds.map((td) => [(td as HTMLElement).dataset.col!, td.textContent!])));
    expect(cells).toMatchObject({ source: "kafka", name: `${prefix}group`, stream: `${prefix}bpm`, partitions: "1", lag: "0", deadLetters: "2" });
    expect(await page.getAttribute(row, "class")).toBe("has-dead-letters");
    await page.screenshot({ path: path.join(home, "pipeline-ingest.png"), fullPage: true });

    // Once the process has stopped, its figures are history: the panel says nothing is running, without a reload.
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    await page.waitForSelector("#ingest >> text=no ingest is running", { timeout: 5_000 });
  });
});
