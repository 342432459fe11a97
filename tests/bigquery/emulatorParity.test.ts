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
import { copyIntoLanding } from "../../produce/landingFile.js";
import { iterationFiles, replayRecords } from "../../produce/replay.js";
import { produceToKafka } from "../../produce/toKafka.js";
import { KAFKA_BROKERS, kafkaIngestArgs, multiplexCount, startCli, uniquePrefix, waitFor } from "../ingest/helpers.js";
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
  env = { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host, BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcHost };
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

/** The CSV feeds arrive as batch files (brief §6); the three device topics come through Kafka. */
async function landCsvFeeds(state: string, iteration: number): Promise<void> {
  for (const file of await iterationFiles(small, iteration)) {
    if (file.landingFeed !== "kafka_multiplex") await copyIntoLanding(state, file.landingFeed, file.path, file.name);
  }
}

/** Runs `pulse ingest --source kafka` into one sink until `arrived` says every message is there, then stops it as an operator would. */
async function ingestUntil(args: string[], what: string, arrived: () => Promise<boolean>): Promise<void> {
  const ingest = startCli(args, env);
  await waitFor(what, async () => arrived(), 300_000, 1000, ingest);
  ingest.child.kill("SIGTERM");
  expect(await ingest.exited, ingest.output()).toBe(0);
}

async function bigqueryMessages(prefix: string): Promise<number> {
  const [rows] = await bigquery.query({ query: `SELECT count(DISTINCT message_id) AS n FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source LIKE 'kafka:${prefix}%'` });
  return Number((rows as { n: number }[])[0]!.n);
}

describe("the whole graph on the BigQuery emulator equals the DuckDB run, after reference set 1 and set 2", () => {
  it("fed by one Kafka topic set into both sinks, with pulse run --warehouse bigquery and with the official dataform run", async () => {
    expect(VARS.as_of_date).toBe(AS_OF_DATE);
    const root = tempHome("pulse-bq-parity-");
    // The CLI keeps the default environment's state in `<--home>/dev/`; the library calls take that folder.
    const state = path.join(root, "dev");
    const init = pulse("bigquery", "init", "--gcp-project", GCP);
    expect(init).toContain(`created ${GCP}.bronze.kafka_multiplex`);
    expect(pulse("bigquery", "init", "--gcp-project", GCP)).toContain(`exists  ${GCP}.bronze.kafka_multiplex`);

    const prefix = uniquePrefix("bq-parity");
    let sent = 0;
    let copied = 0n;
    for (const iteration of [1, 2]) {
      sent += await produceToKafka(replayRecords(small, iteration), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 1, progressMs: 60_000, log: () => undefined });
      // Two consumer groups read the same topics: one into the lake, one through the Storage Write API.
      await Promise.all([
        ingestUntil(kafkaIngestArgs(root, prefix, ["--group", `${prefix}lake`]), `set ${iteration} in the lake`, async () => (await multiplexCount(root)) >= sent),
        ingestUntil(
          kafkaIngestArgs(root, prefix, ["--group", `${prefix}bigquery`, "--sink", "bigquery", "--gcp-project", GCP]),
          `set ${iteration} in BigQuery`,
          async () => (await bigqueryMessages(prefix)) >= sent,
        ),
      ]);
      await landCsvFeeds(state, iteration);
      await loadLandingOnce(state);
      copied = await copyBronze(state, bigquery, "bronze", copied, ["registered_users", "gym_logins"]);
      const bronze = ["bronze.kafka_multiplex", "bronze.registered_users", "bronze.gym_logins"];
      expect(tableDifferences(await duckdbTableRows(state, bronze), await bigqueryTableRows(bigquery, GCP, bronze)), `bronze after set ${iteration}`).toBeUndefined();
      await runGraph(state);
      const want = await duckdbTableRows(state, SILVER_AND_GOLD);

      // After set 2 both runners rebuild every table on the emulator (docs/bigquery.md): it has no sessions, in
      // which pulse stages an incremental batch, and its MERGE takes only a table as source, while the official
      // CLI merges from a query. The incremental forms are analysed by ZetaSQL instead (`compile --check bigquery`).
      const rebuild = iteration === 2 ? ["--full-refresh"] : [];
      pulse("run", "--warehouse", "bigquery", "--gcp-project", GCP, "--vars", `as_of_date=${AS_OF_DATE}`, ...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD)), `pulse run after set ${iteration}`).toBeUndefined();

      await createDataformDatasets();
      dataformRun(...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD, DATAFORM_SUFFIX)), `dataform run after set ${iteration}`).toBeUndefined();
    }
    // CI's assertion job: the silver tag alone, as production runs it.
    dataformRun("--tags", "silver", "--full-refresh");
  }, 1_800_000);
});
