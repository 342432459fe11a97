import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BRONZE_TABLE_NAMES } from "../../lake/bronzeTables.js";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { PROJECT } from "../pipeline/pipelineHarness.js";
import { demoDatabase, sql } from "../postgres/postgresTestDb.js";
import { startPrivateEmulator, type PrivateEmulator } from "./privateEmulator.js";
import { bigqueryTableRows, duckdbTableRows, tableDifferences } from "./tableRows.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
const BRONZE = BRONZE_TABLE_NAMES.map((t) => `bronze.${t}`);
/** Stamped when and where a batch was written: the lake's and BigQuery's differ by design. */
const WRITE_STAMPS = ["_batch", "_ingested_at", "dead_lettered_at"];
const CLI = path.join(PROJECT, "dist", "cli", "main.js");

let emulator: PrivateEmulator;
let bigquery: BigQuery;
let env: NodeJS.ProcessEnv;
const roots: string[] = [];

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-postgres-"));
  roots.push(root);
  return root;
}

function pulse(root: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", root], { cwd: PROJECT, env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(async () => {
  emulator = await startPrivateEmulator();
  env = { BIGQUERY_EMULATOR_HOST: emulator.host, BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcHost };
  avoidMetadataServerProbe();
  bigquery = new BigQuery({ projectId: GCP, apiEndpoint: emulator.host });
  const init = pulse(tempRoot(), "bigquery", "init", "--gcp-project", GCP);
  if (init.status !== 0) throw new Error(`bigquery init failed: ${init.output}`);
});

afterAll(async () => {
  await emulator?.stop();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe("pulse ingest --source postgres --sink bigquery (private emulator, the services' PostgreSQL)", { timeout: 300_000 }, () => {
  it("copies new and changed rows into BigQuery bronze equal to the lake's, its cursor read from BigQuery", async () => {
    const url = await demoDatabase("bqsink");
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
    for (let i = 0; i < 10; i++) {
      await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, logout, updated_at) VALUES ($1, 1, $2, $3, $4)", [`m${i}`, 1000 + i, 2000 + i, at(i * 10)]);
    }
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, updated_at) VALUES ('nan', 1, 'NaN', $1)", [at(95)]);
    const copy = (root: string, ...sink: string[]) => pulse(root, "ingest", "--source", "postgres", "--once", "--url", url, "--tables", "gym_logins", "--overlap", "60s", ...sink);
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
    const want = await duckdbTableRows(path.join(lake, "dev"), BRONZE, WRITE_STAMPS);
    expect(want["bronze.gym_logins"]!.rows).toHaveLength(13);
    expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, BRONZE, "", WRITE_STAMPS))).toBeUndefined();
  });
});
