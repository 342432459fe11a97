import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { STORAGE_CALL_DEADLINE_MS } from "../../runner/adapters/bigquery/storageWrite.js";
import { REFERENCE, startCli, waitFor } from "../ingest/helpers.js";
import { envelope } from "../landing/landingTestHome.js";
import { GCP, removeTempRoots, startSinkEmulator, tempRoot, type SinkEmulator } from "./sinkTestSetup.js";
import { writeSmallReference } from "./smallReference.js";

let small: string;
let sink: SinkEmulator;

beforeAll(async () => {
  small = await writeSmallReference(REFERENCE);
});

afterAll(() => {
  fs.rmSync(small, { recursive: true, force: true });
  removeTempRoots();
});

// An emulator per test: each compares whole bronze tables, and landing sources are named by their relative paths.
// Its data is kept in a file, so that the outage test's restart finds what was committed before it.
beforeEach(async () => {
  sink = await startSinkEmulator({ persist: true });
});

afterEach(async () => {
  await sink?.emulator.stop();
});

const pulse = (root: string, ...args: string[]) => sink.pulse(root, ...args);
const bronzeDifferences = (root: string) => sink.bronzeDifferences(root);

const LANDING = ["ingest", "--source", "landing", "--once"];
const TO_BIGQUERY = [...LANDING, "--sink", "bigquery", "--gcp-project", GCP];

function landFile(root: string, feed: string, name: string, content: string | Buffer): void {
  const file = path.join(homePaths(path.join(root, "dev")).landing, feed, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Files of `landHeartRateFiles`, each 2,500 lines: 2,497 rows and 3 dead letters. */
const FILES = 8;

/** Heart-rate envelopes with a bad line every 1,000: enough files that a load can be stopped between two of them. */
function landHeartRateFiles(root: string, prefix: string): void {
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: 2_500 }, (_, i) =>
      i % 1_000 === 7 ? `bad line ${f}/${i}` : envelope({ offset: i, value: JSON.stringify({ device_id: f, time: 1678410000 + i, heartrate: 60 + (i % 40) }) }),
    );
    landFile(root, "kafka_multiplex", `${prefix}-${f}.json`, `${lines.join("\n")}\n`);
  }
}

/** The landing files whose rows BigQuery holds. */
async function committedSources(): Promise<string[]> {
  const [rows] = await sink.bigquery.query({ query: `SELECT DISTINCT _source FROM \`${GCP}.bronze.kafka_multiplex\`` });
  return (rows as { _source: string }[]).map((r) => r._source);
}

/** After `landHeartRateFiles` and a finished load: BigQuery's bronze equals the lake's, each line of each file once. */
async function expectEachLineOnce(root: string): Promise<void> {
  expect(pulse(root, ...LANDING).status).toBe(0);
  expect(await bronzeDifferences(root)).toBeUndefined();
  const once = (table: string, line: string) =>
    `SELECT count(*) AS n, count(DISTINCT CONCAT(${table === "dead_letters" ? "source" : "_source"}, '#', CAST(${line} AS STRING))) AS lines FROM \`${GCP}.bronze.${table}\``;
  const [[rows], [dead]] = await Promise.all([sink.bigquery.query({ query: once("kafka_multiplex", "_source_line") }), sink.bigquery.query({ query: once("dead_letters", "line") })]);
  expect(rows).toEqual([{ n: FILES * 2_497, lines: FILES * 2_497 }]);
  expect(dead).toEqual([{ n: FILES * 3, lines: FILES * 3 }]);
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
    const [dead] = await sink.bigquery.query({
      query: `SELECT count(*) AS n FROM \`${GCP}.bronze.dead_letters\` WHERE _source IN ('landing:kafka_multiplex/mixed.json', 'landing:registered_users/bad.csv')`,
    });
    expect(dead).toEqual([{ n: 3 }]);

    const again = pulse(root, ...TO_BIGQUERY);
    expect(again.status, again.output).toBe(0);
    expect(again.stdout).toMatch(/^landing load: 0 loaded, 7 already loaded, 0 recovered/);

    // The state a load killed between a file's two commits leaves, plus the home's manifest lost: mixed.json's dead
    // letters are in BigQuery, its rows are not. The other files are found in BigQuery by their batches, not reloaded;
    // mixed.json loads its rows and keeps the dead letters it has.
    await sink.bigquery.query({ query: `DELETE FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source = 'landing:kafka_multiplex/mixed.json'` });
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
    landHeartRateFiles(root, "kill");
    const first = startCli([...TO_BIGQUERY, "--home", root], sink.env);
    await waitFor("the first file loaded", async () => /\[1\/8\]/.test(first.output()), 300_000, 20, first);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(await committedSources()).not.toHaveLength(FILES);

    const second = pulse(root, ...TO_BIGQUERY);
    expect(second.status, second.output).toBe(0);
    await expectEachLineOnce(root);
  });

  it("when BigQuery goes away part-way through, the load fails in one line within a bounded time having recorded only committed files; once back, a re-run lands each file once", async () => {
    const root = tempRoot();
    landHeartRateFiles(root, "outage");
    const first = startCli([...TO_BIGQUERY, "--home", root], sink.env);
    await waitFor("the first file loaded", async () => /\[1\/8\]/.test(first.output()), 300_000, 20, first);
    await sink.emulator.kill();
    const killed = performance.now();
    // A lost append connection fails at once (the usual case here: the next file is being appended); a stream call
    // retries for its deadline plus at most one pause of 5 s, and appends with no answer fail after the deadline
    // (storageWriteOutage.test.ts). The client's own retries would hold the load 10–20 minutes. The first failure
    // closes the client, so the other lanes' batches fail at once, and the load returns once each lane's file in
    // flight is done: fresh-clone CI runs hung past this bound when it returned at once and closed a lane's DuckDB
    // connection under its running query (the exit joined the deadlocked thread, gdb). The bound keeps 40 s of slack
    // for a loaded machine.
    const bound = STORAGE_CALL_DEADLINE_MS + 40_000 + 30_000;
    const exit = await Promise.race([first.exited, sleep(bound).then(() => "still running")]);
    const seconds = (performance.now() - killed) / 1000;
    if (exit === "still running") first.child.kill("SIGKILL");
    expect(exit, first.output()).toBe(1);
    expect(seconds).toBeLessThan(bound / 1000);
    const errors = first
      .output()
      .split("\n")
      .filter((line) => line.startsWith("pulse:"));
    expect(errors, first.output()).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^pulse: ingest --sink bigquery: writing [\\d,]+ row\\(s\\) to ${GCP}\\.bronze\\.(kafka_multiplex|dead_letters) failed: (creating a write stream|opening the append connection|appending rows|finalizing the stream|committing the stream): .+`,
      ),
    );
    expect(first.output()).not.toMatch(/^\s+at /m);

    await sink.emulator.restart();
    // The manifest may lag BigQuery (a commit confirmed, the process gone before its append) but never lead it.
    const manifest = fs.readFileSync(path.join(homePaths(path.join(root, "dev")).ingestState, `bigquery-${GCP}.bronze`, "landing-manifest.jsonl"), "utf8");
    const recorded = manifest
      .trim()
      .split("\n")
      .map((line) => `landing:${(JSON.parse(line) as { path: string }).path}`);
    const committed = await committedSources();
    expect(recorded.length).toBeGreaterThan(0);
    expect(committed).toEqual(expect.arrayContaining(recorded));
    expect(committed).not.toHaveLength(FILES);

    const second = pulse(root, ...TO_BIGQUERY);
    expect(second.status, second.output).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^landing load: ${FILES - committed.length} loaded, ${recorded.length} already loaded, ${committed.length - recorded.length} recovered`));
    await expectEachLineOnce(root);
  });
});
