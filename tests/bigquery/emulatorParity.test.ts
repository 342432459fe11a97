import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { AS_OF_DATE } from "../pipeline/expected-reference.js";
import { PROJECT, REFERENCE, SILVER_AND_GOLD, runGraph, tempHome, VARS } from "../pipeline/pipelineHarness.js";
import { pulseCli } from "../pipeline/referenceChecks.js";
import { copyBronze } from "./copyBronze.js";
import { writeSmallReference } from "./smallReference.js";
import { startPrivateEmulator, type PrivateEmulator } from "./privateEmulator.js";
import { bigqueryTableRows, duckdbTableRows, tableDifferences } from "./tableRows.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
const DATAFORM = path.join(PROJECT, "node_modules", ".bin", "dataform");
/** The official CLI's copy of the graph lives beside pulse's, on the same bronze (declarations take no suffix). */
const DATAFORM_SUFFIX = "_df";

let emulator: PrivateEmulator;
let bigquery: BigQuery;
let env: NodeJS.ProcessEnv;
let credentials: string;
let small: string;

beforeAll(async () => {
  small = await writeSmallReference(REFERENCE);
  emulator = await startPrivateEmulator();
  env = { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host };
  avoidMetadataServerProbe();
  bigquery = new BigQuery({ projectId: GCP, apiEndpoint: emulator.host });
  // The official CLI's credentials for the emulator: a project and no key. With no key Google's auth library
  // finds no credentials and the client sends its requests unauthenticated, which the emulator accepts.
  credentials = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pulse-df-credentials-")), ".df-credentials.json");
  fs.writeFileSync(credentials, JSON.stringify({ projectId: GCP, location: "US" }));
});

afterAll(async () => {
  await emulator?.stop();
  if (credentials) fs.rmSync(path.dirname(credentials), { recursive: true, force: true });
  if (small) fs.rmSync(small, { recursive: true, force: true });
});

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: PROJECT, env, encoding: "utf8", timeout: 1_200_000 });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function pulse(...args: string[]): string {
  return run(process.execPath, [path.join(PROJECT, "dist", "cli", "main.js"), ...args]);
}

/**
 * The emulator answers the official CLI's `create schema if not exists` with success but creates no dataset
 * (docs/bigquery.md), so the test creates the CLI's suffixed datasets, one per dataset pulse made, through the API.
 */
async function createDataformDatasets(): Promise<void> {
  const [datasets] = await bigquery.getDatasets();
  for (const id of datasets.map((d) => d.id ?? "").filter((id) => id !== "bronze" && !id.endsWith(DATAFORM_SUFFIX))) {
    const [exists] = await bigquery.dataset(`${id}${DATAFORM_SUFFIX}`).exists();
    if (!exists) await bigquery.createDataset(`${id}${DATAFORM_SUFFIX}`);
  }
}

function dataformRun(...extra: string[]): string {
  return run(DATAFORM, ["run", PROJECT, "--credentials", credentials, "--default-database", GCP, "--schema-suffix", DATAFORM_SUFFIX.slice(1), "--vars", `as_of_date=${AS_OF_DATE}`, ...extra]);
}

// Opt-in (PULSE_BIGQUERY_PARITY=1): it passes, but even on the small reference sets it took 994 s on the shared
// 2-core machine, mostly the official CLI's jobs through the one-request-at-a-time emulator; too long for every `npm test`.
describe.runIf(process.env.PULSE_BIGQUERY_PARITY === "1")("the whole graph on the BigQuery emulator equals the DuckDB run, after reference set 1 and set 2", () => {
  it("with pulse run --warehouse bigquery and with the official dataform run", async () => {
    expect(VARS.as_of_date).toBe(AS_OF_DATE);
    const home = tempHome("pulse-bq-parity-");
    const init = pulse("bigquery", "init", "--gcp-project", GCP);
    expect(init).toContain(`created ${GCP}.bronze.kafka_multiplex`);
    expect(pulse("bigquery", "init", "--gcp-project", GCP)).toContain(`exists  ${GCP}.bronze.kafka_multiplex`);

    let copied = 0n;
    for (const iteration of ["1", "2"]) {
      pulseCli(home, "produce", "--to", "landing", "--from", small, "--iteration", iteration);
      await loadLandingOnce(home);
      await runGraph(home);
      copied = await copyBronze(home, bigquery, "bronze", copied);
      const want = await duckdbTableRows(home, SILVER_AND_GOLD);

      // After set 2 both runners rebuild every table on the emulator (docs/bigquery.md): it has no sessions, in
      // which pulse stages an incremental batch, and its MERGE takes only a table as source, while the official
      // CLI merges from a query. The incremental forms are analysed by ZetaSQL instead (`compile --check bigquery`).
      const rebuild = iteration === "2" ? ["--full-refresh"] : [];
      pulse("run", "--warehouse", "bigquery", "--gcp-project", GCP, "--vars", `as_of_date=${AS_OF_DATE}`, ...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD)), `pulse run after set ${iteration}`).toBeUndefined();

      await createDataformDatasets();
      dataformRun(...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD, DATAFORM_SUFFIX)), `dataform run after set ${iteration}`).toBeUndefined();
    }
    // CI's assertion job: the silver tag alone, as production runs it.
    dataformRun("--tags", "silver", "--full-refresh");
  }, 3_600_000);
});
