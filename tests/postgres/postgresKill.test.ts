import { readdir } from "node:fs/promises";
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
  const names = await readdir(path.join(homePaths(home).bronze, table)).catch(() => [] as string[]);
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
});
