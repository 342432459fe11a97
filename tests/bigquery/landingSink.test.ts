import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BRONZE_TABLE_NAMES } from "../../lake/bronzeTables.js";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { homePaths } from "../../lib/home.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { REFERENCE, startCli, waitFor } from "../ingest/helpers.js";
import { envelope } from "../landing/landingTestHome.js";
import { PROJECT } from "../pipeline/pipelineHarness.js";
import { startPrivateEmulator, type PrivateEmulator } from "./privateEmulator.js";
import { writeSmallReference } from "./smallReference.js";
import { bigqueryTableRows, duckdbTableRows, tableDifferences } from "./tableRows.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
const BRONZE = BRONZE_TABLE_NAMES.map((t) => `bronze.${t}`);
/** Stamped when and where a batch was written: the lake's and BigQuery's differ by design. */
const WRITE_STAMPS = ["_batch", "_ingested_at", "dead_lettered_at"];
const CLI = path.join(PROJECT, "dist", "cli", "main.js");

let emulator: PrivateEmulator;
let bigquery: BigQuery;
let env: NodeJS.ProcessEnv;
let small: string;
const roots: string[] = [];

beforeAll(async () => {
  small = await writeSmallReference(REFERENCE);
  avoidMetadataServerProbe();
});

afterAll(() => {
  for (const dir of [small, ...roots]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// An emulator per test: both compare whole bronze tables, and landing sources are named by their relative paths.
beforeEach(async () => {
  emulator = await startPrivateEmulator();
  env = { BIGQUERY_EMULATOR_HOST: emulator.host, BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcHost };
  bigquery = new BigQuery({ projectId: GCP, apiEndpoint: emulator.host });
  const init = pulse(tempRoot(), "bigquery", "init", "--gcp-project", GCP);
  if (init.status !== 0) throw new Error(`bigquery init failed: ${init.output}`);
});

afterEach(async () => {
  await emulator?.stop();
});

function pulse(root: string, ...args: string[]): { status: number | null; stdout: string; output: string } {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", root], { cwd: PROJECT, env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-landing-"));
  roots.push(root);
  return root;
}

const LANDING = ["ingest", "--source", "landing", "--once"];
const TO_BIGQUERY = [...LANDING, "--sink", "bigquery", "--gcp-project", GCP];

/** The lake's bronze (loaded by the lake sink from the same files) against BigQuery's, row for row. */
async function bronzeDifferences(root: string): Promise<string | undefined> {
  const lake = await duckdbTableRows(path.join(root, "dev"), BRONZE, WRITE_STAMPS);
  return tableDifferences(lake, await bigqueryTableRows(bigquery, GCP, BRONZE, "", WRITE_STAMPS));
}

function landFile(root: string, feed: string, name: string, content: string | Buffer): void {
  const file = path.join(homePaths(path.join(root, "dev")).landing, feed, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe("pulse ingest --source landing --sink bigquery (Storage Write API on a private emulator)", { timeout: 600_000 }, () => {
  it("lands the reference files and bad lines into BigQuery bronze equal to the lake sink's, each file once", async () => {
    const root = tempRoot();
    expect(pulse(root, "produce", "--to", "landing", "--from", small, "--iteration", "1").status).toBe(0);
    const lines = [envelope({ offset: 1 }), "not json {", envelope({ offset: 3, partition: -1 }), envelope({ offset: 4 })];
    landFile(root, "kafka_multiplex", "mixed.json", `${lines.join("\n")}\n`);
    landFile(root, "registered_users", "bad.csv", "user_id,device_id,mac_address,registration_timestamp\n1,2,aa:bb,1678410000.5\nx,2,aa:bb,1\n");
    landFile(root, "gym_logins", "binary.csv", Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));

    const first = pulse(root, ...TO_BIGQUERY);
    // 3: the load finished but quarantined the unreadable file, as on the lake.
    expect(first.status, first.output).toBe(3);
    expect(first.output).toMatch(/\[\d\/8\] kafka_multiplex\/3-bpm_1\.json: [\d,]+ rows in [\d.]+ s \(total [\d,]+ rows, [\d,]+ rows\/s\)/);
    expect(first.output).toContain("kafka_multiplex/mixed.json: 2 rows, 2 dead letters");
    expect(first.output).toMatch(/warning: gym_logins\/binary\.csv quarantined \(not UTF-8 text/);
    expect(first.stdout).toMatch(/^landing load: 7 loaded, 0 already loaded, 0 recovered, 0 changed, 1 quarantined, 0 not loaded, 0 ignored\n {2}rows: bronze\.registered_users [\d,]+/);

    const lake = pulse(root, ...LANDING);
    expect(lake.status, lake.output).toBe(0);
    expect(lake.stdout).toMatch(/^landing load: 7 loaded/);
    expect(await bronzeDifferences(root)).toBeUndefined();
    const [dead] = await bigquery.query({
      query: `SELECT count(*) AS n FROM \`${GCP}.bronze.dead_letters\` WHERE _source IN ('landing:kafka_multiplex/mixed.json', 'landing:registered_users/bad.csv')`,
    });
    expect(dead).toEqual([{ n: 3 }]);

    const again = pulse(root, ...TO_BIGQUERY);
    expect(again.status, again.output).toBe(0);
    expect(again.stdout).toMatch(/^landing load: 0 loaded, 7 already loaded, 0 recovered/);

    // The state a load killed between a file's two commits leaves, plus the home's manifest lost: mixed.json's dead
    // letters are in BigQuery, its rows are not. The other files are found in BigQuery by their batches, not reloaded;
    // mixed.json loads its rows and keeps the dead letters it has.
    await bigquery.query({ query: `DELETE FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source = 'landing:kafka_multiplex/mixed.json'` });
    fs.rmSync(path.join(homePaths(path.join(root, "dev")).ingestState, `bigquery-${GCP}.bronze`, "landing-manifest.jsonl"));
    const recovered = pulse(root, ...TO_BIGQUERY);
    expect(recovered.status, recovered.output).toBe(0);
    expect(recovered.stdout).toMatch(/^landing load: 1 loaded, 0 already loaded, 6 recovered/);
    expect(recovered.output).toContain(`kafka_multiplex/3-bpm_1.json: already committed to BigQuery ${GCP}.bronze by an interrupted run (2,392 rows)`);
    expect(recovered.output).toMatch(/kafka_multiplex\/mixed\.json: 2 rows, 2 dead letters/);
    expect(await bronzeDifferences(root)).toBeUndefined();
  });

  it("after a SIGKILL part-way through, a re-run commits each file's rows and dead letters exactly once", async () => {
    const root = tempRoot();
    const files = 8;
    for (let f = 0; f < files; f++) {
      const lines = Array.from({ length: 2_500 }, (_, i) =>
        i % 1_000 === 7 ? `bad line ${f}/${i}` : envelope({ offset: i, value: JSON.stringify({ device_id: f, time: 1678410000 + i, heartrate: 60 + (i % 40) }) }),
      );
      landFile(root, "kafka_multiplex", `kill-${f}.json`, `${lines.join("\n")}\n`);
    }
    const first = startCli(["ingest", "--source", "landing", "--once", "--sink", "bigquery", "--gcp-project", GCP, "--home", root], env);
    await waitFor("the first file loaded", async () => /\[1\/8\]/.test(first.output()), 300_000, 20, first);
    first.child.kill("SIGKILL");
    await first.exited;
    const [before] = await bigquery.query({ query: `SELECT count(DISTINCT _source) AS n FROM \`${GCP}.bronze.kafka_multiplex\`` });
    expect((before as { n: number }[])[0]!.n).toBeLessThan(files);

    const second = pulse(root, ...TO_BIGQUERY);
    expect(second.status, second.output).toBe(0);
    expect(pulse(root, ...LANDING).status).toBe(0);
    expect(await bronzeDifferences(root)).toBeUndefined();
    const [counts] = await bigquery.query({ query: `SELECT count(*) AS n, count(DISTINCT CONCAT(_source, '#', CAST(_source_line AS STRING))) AS lines FROM \`${GCP}.bronze.kafka_multiplex\`` });
    expect(counts).toEqual([{ n: files * 2_497, lines: files * 2_497 }]);
  });
});
