import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { startCli, waitFor } from "../ingest/helpers.js";
import { tempHome } from "../pipeline/pipelineHarness.js";
import { pulseCli as pulse } from "../pipeline/referenceChecks.js";
import { demoDatabase, sql } from "./postgresTestDb.js";

const ROWS = 200_000;
/** Every 1,000th row has no mac_address: each chunk commits dead letters, then rows (two renames a kill can split). */
const DEAD = ROWS / 1000;

async function committed(home: string, table: string): Promise<number> {
  const names = await readdir(path.join(homePaths(path.join(home, "dev")).bronze, table)).catch(() => [] as string[]);
  return names.filter((n) => n !== "_empty.parquet").length;
}

describe("pulse ingest --source postgres killed with SIGKILL mid-copy", () => {
  it("copies every row exactly once after restarts", async () => {
    const url = await demoDatabase("kill");
    const home = tempHome();
    await sql(
      url,
      `INSERT INTO gym_logins (mac_address, gym, login, logout)
       SELECT CASE WHEN i % 1000 = 0 THEN NULL ELSE 'mac-' || i END, i % 7, 1678521600 + i, 1678525200 + i FROM generate_series(1, ${ROWS}) AS i`,
    );
    // Kill once the first batch is in, then again three batches later; each restart resumes from the lake's cursor.
    for (const batches of [1, 4]) {
      const ingest = startCli(["ingest", "--source", "postgres", "--once", "--url", url, "--tables", "gym_logins", "--chunk-rows", "5000", "--overlap", "100ms", "--home", home]);
      await waitFor(`${batches} committed batches`, async () => (await committed(home, "gym_logins")) >= batches, 60_000, 20, ingest);
      ingest.child.kill("SIGKILL");
      expect(await ingest.exited).toBe("SIGKILL");
    }
    expect(await committed(home, "gym_logins")).toBeLessThan(ROWS / 5000);
    pulse(home, "ingest", "--source", "postgres", "--once", "--url", url, "--tables", "gym_logins", "--overlap", "100ms");
    const counts = JSON.parse(
      pulse(
        home,
        "query",
        "--format",
        "json",
        `select (select count(*) from bronze.gym_logins) as rows, (select count(distinct _source) from bronze.gym_logins) as keys,
          (select count(*) from bronze.dead_letters) as dead, (select count(distinct source) from bronze.dead_letters) as dead_keys`,
      ),
    ) as Record<string, number>[];
    expect(counts).toEqual([{ rows: ROWS - DEAD, keys: ROWS - DEAD, dead: DEAD, dead_keys: DEAD }]);
  });

  it("recovers a chunk whose dead letters committed but whose rows did not (a kill between the two renames)", async () => {
    const url = await demoDatabase("between");
    const home = tempHome();
    const at = (hours: number) => new Date(Date.UTC(2026, 0, 1, hours)).toISOString();
    const insert = (mac: string | null, hours: number) => sql(url, "INSERT INTO gym_logins (mac_address, gym, login, updated_at) VALUES ($1, 1, 100, $2)", [mac, at(hours)]);
    const ingest = () => pulse(home, "ingest", "--source", "postgres", "--once", "--url", url, "--tables", "gym_logins", "--overlap", "1s");
    await insert("a", 0);
    ingest();
    // One chunk: a row at +1 h, a dead letter at +2 h. Its dead letters commit first, then its rows.
    await insert("b", 1);
    await insert(null, 2);
    ingest();
    const folder = path.join(homePaths(path.join(home, "dev")).bronze, "gym_logins");
    const files = (await readdir(folder)).filter((n) => n !== "_empty.parquet").sort();
    expect(files).toHaveLength(2);
    // The state a kill right after the dead-letter rename leaves: the chunk's row batch is not in the lake.
    await rm(path.join(folder, files[1]!));
    ingest();
    const got = JSON.parse(
      pulse(home, "query", "--format", "json", "select (select string_agg(mac_address, ',' order by mac_address) from bronze.gym_logins) as macs, (select count(*) from bronze.dead_letters) as dead"),
    ) as Record<string, unknown>[];
    // Had the dead letter's cursor (+2 h) counted as progress, "b" (+1 h, far below it) would be lost.
    expect(got).toEqual([{ macs: "a,b", dead: 1 }]);
  });
});
