/**
 * Continuous mode's end-to-end freshness against the real local broker (`npm run services:up`): for each
 * `--intervals` value, `pulse stream --source kafka` runs on a fresh PULSE_HOME while `pulse produce` sends the
 * synthetic fleet at `--rate` (default 10,000 events/s; 200 users × 1 day is about 61 s of it) with
 * `--timestamps send`, so every message's Kafka timestamp is the moment it was produced.
 *
 * Per message, freshness = finished_at of the first successful run whose `lake_snapshot` covers the message's
 * lake commit time (`_ingested_at`) − its Kafka timestamp. Computed after the stream has stopped, in SQL over
 * the warehouse (`pulse query --format json`), with where the time went: produce → lake commit (ingest
 * batching), commit → start of the run that read it (interval), and that run's duration.
 *
 *   npm run build && npx tsx bench/stream.ts [--intervals 1s,2s,5s] [--repeats 1] [--users 200] [--rate 10000] [--flush-ms 1000]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { commaList } from "../lib/args.js";
import { durationMs } from "../lib/duration.js";
import { PACKAGE_ROOT } from "../lib/home.js";
import { ensureTopicsReady } from "../lib/kafkaTopics.js";
import { percentile } from "../jobs/watchRuns.js";
import { sleep } from "../lib/sleep.js";
import { isPortOpen } from "../services/process.js";
import { KAFKA_BROKERS, kafkaClient, uniquePrefix, waitFor } from "../tests/ingest/helpers.js";

/** The built CLI, as operators run it. */
const CLI = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");
const TARGET_P95_SECONDS = 5;

interface Trial {
  messages: number;
  /** Messages no run made visible before the stream stopped (should be 0: the bench waits for them). */
  notVisible: number;
  p50: number;
  p95: number;
  max: number;
  runs: number;
  meanRunSeconds: number;
  /** Messages per second between the first and the last produce timestamp, and between the first and last lake commit. */
  producedPerSecond: number;
  ingestedPerSecond: number;
  /** p50/p95 of each leg: produce → lake commit, commit → run start, run start → finished. */
  legs: { commit: [number, number]; wait: [number, number]; run: [number, number] };
  /** The slowest actions by mean seconds per run, e.g. `silver.heart_rate 0.41 s`. */
  slowest: string;
  exitCode: number | string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { intervals: { type: "string" }, repeats: { type: "string" }, users: { type: "string" }, rate: { type: "string" }, "flush-ms": { type: "string" } },
    strict: true,
  });
  const flags = z
    .object({
      intervals: z.string().default("1s,2s,5s"),
      repeats: z.coerce.number().int().positive().default(1),
      users: z.coerce.number().int().positive().default(200),
      rate: z.coerce.number().int().positive().default(10_000),
      "flush-ms": z.coerce.number().int().positive().optional(),
    })
    .parse(values);
  const intervals = commaList(flags.intervals).map((text) => ({ text, ms: durationMs.parse(text) }));
  if (!(await isPortOpen(Number(KAFKA_BROKERS.split(":")[1])))) throw new Error("start the services first: npm run services:up");
  if (!existsSync(CLI)) throw new Error("build first: npm run build");

  const summary: string[] = [];
  for (const interval of intervals) {
    const trials: Trial[] = [];
    for (let repeat = 1; repeat <= flags.repeats; repeat++) {
      const trial = await streamTrial(interval.text, interval.ms, flags.users, repeat, flags.rate, flags["flush-ms"]);
      trials.push(trial);
      console.log(
        `interval ${interval.text} #${repeat}: freshness p50 ${trial.p50.toFixed(2)} s, p95 ${trial.p95.toFixed(2)} s, max ${trial.max.toFixed(2)} s over ${trial.messages.toLocaleString("en-US")} messages` +
          `${trial.notVisible > 0 ? ` (${trial.notVisible.toLocaleString("en-US")} NOT VISIBLE)` : ""}; ${trial.runs} runs, mean ${trial.meanRunSeconds.toFixed(2)} s; ` +
          `produced ${trial.producedPerSecond.toLocaleString("en-US")}/s, ingested ${trial.ingestedPerSecond.toLocaleString("en-US")}/s; ` +
          `legs p50/p95: produce→commit ${leg(trial.legs.commit)}, commit→run start ${leg(trial.legs.wait)}, run ${leg(trial.legs.run)}; stream exit ${trial.exitCode}`,
      );
      console.log(`  slowest actions (mean per run): ${trial.slowest}`);
    }
    const med = (pick: (t: Trial) => number) => percentile(trials.map(pick), 0.5);
    const p95 = med((t) => t.p95);
    summary.push(
      `interval ${interval.text.padEnd(4)} p50 ${med((t) => t.p50).toFixed(2)} s, p95 ${p95.toFixed(2)} s, max ${med((t) => t.max).toFixed(2)} s, mean run ${med((t) => t.meanRunSeconds).toFixed(2)} s, ` +
        `ingested ${Math.round(med((t) => t.ingestedPerSecond)).toLocaleString("en-US")}/s: ${p95 <= TARGET_P95_SECONDS ? "meets" : "MISSES"} the target (p95 ≤ ${TARGET_P95_SECONDS} s)`,
    );
  }
  console.log("");
  console.log(`continuous mode at ${flags.rate.toLocaleString("en-US")} events/s, produce → visible in gold${flags.repeats > 1 ? ` (medians of ${flags.repeats})` : ""}:`);
  for (const line of summary) console.log(`  ${line}`);
}

const leg = ([p50, p95]: [number, number]) => `${p50.toFixed(2)}/${p95.toFixed(2)} s`;

async function streamTrial(interval: string, intervalMs: number, users: number, seed: number, rate: number, flushMs: number | undefined): Promise<Trial> {
  const home = await mkdtemp(path.join(os.tmpdir(), "pulse-bench-stream-"));
  const prefix = uniquePrefix("bench-stream");
  const group = `${prefix}group`;
  await landBatchFeeds(home, users, seed);
  await createTopics(prefix);
  const stream = cli([
    "stream",
    "--home",
    home,
    "--source",
    "kafka",
    "--brokers",
    KAFKA_BROKERS,
    "--topic-prefix",
    prefix,
    "--group",
    group,
    "--interval",
    interval,
    ...(flushMs ? ["--flush-ms", String(flushMs)] : []),
  ]);
  try {
    // Measure the steady state, not start-up: the group has its partitions and the first run is done.
    await waitFor("the stream's first run", async () => /run #1 /.test(stream.output()), 120_000, 200, stream);
    await waitFor("the consumer group", () => groupStable(group), 60_000, 200, stream);
    await succeed(["produce", "--to", "kafka", ...fleet(users, seed), "--rate", String(rate), "--brokers", KAFKA_BROKERS, "--topic-prefix", prefix, "--timestamps", "send"]);
    // Everything is committed to the lake one flush after the last send; the second run to finish after that
    // started after it, so it made every message visible.
    await sleep((flushMs ?? 1000) + 500);
    const runsSoFar = runCount(stream.output());
    await waitFor("two more runs", async () => runCount(stream.output()) >= runsSoFar + 2, 120_000 + 4 * intervalMs, 200, stream);
    stream.child.kill("SIGINT");
    const exitCode = await stream.exited;
    if (exitCode !== 0) console.log(`stream exited ${exitCode}:\n${stream.output().slice(-2000)}`);
    return { ...(await freshness(home)), exitCode };
  } finally {
    if (stream.child.exitCode === null) stream.child.kill("SIGKILL");
    await rm(home, { recursive: true, force: true });
  }
}

const fleet = (users: number, seed: number) => ["--synthetic", "--users", String(users), "--days", "1", "--seed", String(seed)];

/**
 * The fleet's registrations and gym logins arrive as batch files, not on Kafka: landed first, and loaded by
 * the stream before its first run, so the streamed workouts have their users and every run's assertions
 * pass. The same set's Kafka messages in the landing zone are dropped: they come over Kafka, stamped when sent.
 */
async function landBatchFeeds(home: string, users: number, seed: number): Promise<void> {
  await succeed(["produce", "--to", "landing", ...fleet(users, seed), "--home", home]);
  const multiplex = path.join(home, "dev", "landing", "kafka_multiplex");
  for (const file of await readdir(multiplex)) await rm(path.join(multiplex, file));
}

/** The three topics up front, so the stream subscribes to existing topics and the producer finds them. */
async function createTopics(prefix: string): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await ensureTopicsReady(
      admin,
      ["user_info", "bpm", "workout"].map((t) => ({ topic: `${prefix}${t}`, numPartitions: 3 })),
    );
  } finally {
    await admin.disconnect();
  }
}

async function groupStable(group: string): Promise<boolean> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    return groups[0]?.state === "Stable" && groups[0].members.length > 0;
  } finally {
    await admin.disconnect();
  }
}

const runCount = (output: string) => output.match(/ run #\d+ \|/g)?.length ?? 0;

/**
 * Message → first run covering it: an ASOF join on the lake commit clock (runs run one at a time, so the
 * smallest covering snapshot is the earliest run). Kafka timestamps here are milliseconds (`--timestamps send`).
 */
const FRESHNESS_SQL = `
WITH runs AS (
  SELECT lake_snapshot, epoch_ms(started_at) AS started_ms, epoch_ms(finished_at) AS finished_ms
  FROM pulse_meta.runs WHERE status = 'success' AND lake_snapshot IS NOT NULL
), messages AS (
  SELECT epoch_us(_ingested_at) AS committed_us, "timestamp" AS produced_ms FROM bronze.kafka_multiplex
), seen AS (
  SELECT m.produced_ms, m.committed_us, r.started_ms, r.finished_ms
  FROM messages m ASOF LEFT JOIN runs r ON m.committed_us <= r.lake_snapshot
), latency AS (
  SELECT (finished_ms - produced_ms) / 1000.0 AS total, (committed_us / 1000 - produced_ms) / 1000.0 AS to_commit,
         (started_ms - committed_us / 1000) / 1000.0 AS to_run, (finished_ms - started_ms) / 1000.0 AS run
  FROM seen WHERE finished_ms IS NOT NULL
)
SELECT
  (SELECT count(*) FROM latency) AS messages,
  (SELECT count(*) FROM seen WHERE finished_ms IS NULL) AS not_visible,
  (SELECT quantile_cont(total, 0.5) FROM latency) AS p50,
  (SELECT quantile_cont(total, 0.95) FROM latency) AS p95,
  (SELECT max(total) FROM latency) AS max,
  (SELECT quantile_cont(to_commit, 0.5) FROM latency) AS commit_p50,
  (SELECT quantile_cont(to_commit, 0.95) FROM latency) AS commit_p95,
  (SELECT quantile_cont(to_run, 0.5) FROM latency) AS wait_p50,
  (SELECT quantile_cont(to_run, 0.95) FROM latency) AS wait_p95,
  (SELECT quantile_cont(run, 0.5) FROM latency) AS run_p50,
  (SELECT quantile_cont(run, 0.95) FROM latency) AS run_p95,
  (SELECT count(*) FROM runs) AS runs,
  (SELECT avg(finished_ms - started_ms) / 1000.0 FROM runs) AS mean_run,
  (SELECT count(*) * 1000.0 / nullif(max(produced_ms) - min(produced_ms), 0) FROM messages) AS produced_rate,
  (SELECT count(*) * 1000000.0 / nullif(max(committed_us) - min(committed_us), 0) FROM messages) AS ingested_rate`;

const SLOWEST_SQL = `
SELECT action, avg(seconds) AS seconds FROM pulse_meta.action_results
WHERE run_id IN (SELECT run_id FROM pulse_meta.runs WHERE status = 'success') GROUP BY action ORDER BY seconds DESC LIMIT 4`;

async function query(home: string, sql: string): Promise<unknown> {
  const run = cli(["query", "--home", home, "--format", "json", sql]);
  if ((await run.exited) !== 0) throw new Error(`pulse query failed:\n${run.output()}`);
  return JSON.parse(run.stdout());
}

async function freshness(home: string): Promise<Omit<Trial, "exitCode">> {
  const slowest = z
    .array(z.object({ action: z.string(), seconds: z.number() }))
    .parse(await query(home, SLOWEST_SQL))
    .map((a) => `${a.action} ${a.seconds.toFixed(2)} s`)
    .join(", ");
  const row = z
    .array(
      z.object({
        messages: z.coerce.number(),
        not_visible: z.coerce.number(),
        p50: z.number(),
        p95: z.number(),
        max: z.number(),
        commit_p50: z.number(),
        commit_p95: z.number(),
        wait_p50: z.number(),
        wait_p95: z.number(),
        run_p50: z.number(),
        run_p95: z.number(),
        runs: z.coerce.number(),
        mean_run: z.number(),
        produced_rate: z.number(),
        ingested_rate: z.number(),
      }),
    )
    .length(1)
    .parse(await query(home, FRESHNESS_SQL))[0]!;
  return {
    messages: row.messages,
    notVisible: row.not_visible,
    p50: row.p50,
    p95: row.p95,
    max: row.max,
    runs: row.runs,
    meanRunSeconds: row.mean_run,
    producedPerSecond: Math.round(row.produced_rate),
    ingestedPerSecond: Math.round(row.ingested_rate),
    legs: { commit: [row.commit_p50, row.commit_p95], wait: [row.wait_p50, row.wait_p95], run: [row.run_p50, row.run_p95] },
    slowest,
  };
}

interface Child {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  exited: Promise<number | string>;
}

async function succeed(args: string[]): Promise<void> {
  const run = cli(args);
  const code = await run.exited;
  if (code !== 0) throw new Error(`pulse ${args[0]} exited ${code}:\n${run.output().slice(-2000)}`);
}

/** `node dist/cli/main.js <args>` with its output kept (stdout apart, for JSON). */
function cli(args: string[]): Child {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let all = "";
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    all += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => (all += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => all, stdout: () => out, exited };
}

await main();
