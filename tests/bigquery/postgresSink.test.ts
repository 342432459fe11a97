import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDatabase, sql } from "../postgres/postgresTestDb.js";
import { GCP, removeTempRoots, startSinkEmulator, tempRoot, type SinkEmulator } from "./sinkTestSetup.js";

let sink: SinkEmulator;

beforeAll(async () => {
  sink = await startSinkEmulator();
});

afterAll(async () => {
  await sink?.emulator.stop();
  removeTempRoots();
});

describe("pulse ingest --source postgres --sink bigquery (private emulator, the services' PostgreSQL)", { timeout: 300_000 }, () => {
  it("copies new and changed rows into BigQuery bronze equal to the lake's, its cursor read from BigQuery", async () => {
    const url = await demoDatabase("bqsink");
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
    for (let i = 0; i < 10; i++) {
      await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, logout, updated_at) VALUES ($1, 1, $2, $3, $4)", [`m${i}`, 1000 + i, 2000 + i, at(i * 10)]);
    }
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, updated_at) VALUES ('nan', 1, 'NaN', $1)", [at(95)]);
    const copy = (root: string, ...to: string[]) => sink.pulse(root, "ingest", "--source", "postgres", "--once", "--url", url, "--tables", "gym_logins", "--overlap", "60s", ...to);
    const toBigQuery = ["--sink", "bigquery", "--gcp-project", GCP];
    const lake = tempRoot();

    const first = copy(tempRoot(), ...toBigQuery);
    expect(first.status, first.output).toBe(0);
    expect(first.output).toContain(`gym_logins: pass done, 10 new rows, 1 dead letters, 0 already in BigQuery ${GCP}.bronze (overlap window)`);
    expect(copy(lake).status).toBe(0);

    // Committed after the copy with cursors inside the 60 s window, and a row changed: a new version. The next pass
    // runs from another home: its progress can only come from BigQuery.
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, updated_at) VALUES ('late1', 2, 3000, $1), ('late2', 2, 3001, $2)", [at(50), at(40)]);
    await sql(url, "UPDATE gym_logins SET gym = 7 WHERE mac_address = 'm3'");
    const second = copy(tempRoot(), ...toBigQuery);
    expect(second.status, second.output).toBe(0);
    expect(second.output).toMatch(/gym_logins: pass done, 3 new rows, 0 dead letters, \d+ already in BigQuery/);
    expect(copy(lake).status).toBe(0);

    const third = copy(tempRoot(), ...toBigQuery);
    expect(third.output).toMatch(/gym_logins: pass done, 0 new rows, 0 dead letters/);
    const [copied] = await sink.bigquery.query({ query: `SELECT count(*) AS n FROM \`${GCP}.bronze.gym_logins\`` });
    expect(copied).toEqual([{ n: 13 }]);
    expect(await sink.bronzeDifferences(lake)).toBeUndefined();
  });
});
