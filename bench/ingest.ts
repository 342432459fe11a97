/**
 * Stream ingest → bronze throughput, against the real local broker and emulator (`npm run services:up`).
 *
 * - Kafka: a backlog of `--kafka-messages` heart-rate events on a 3-partition topic (default 1,000,000
 *   arriving at once, which is also the 10× burst: ten seconds of ten times the 10,000/s fleet), drained `--runs`
 *   times by `pulse ingest --source kafka` in its own process (fresh group and PULSE_HOME each run).
 *   Prints events/s from the first to the last lake file, the lag at the start, the ingest's peak RSS
 *   (VmHWM) and whether bronze holds every offset exactly once. Before each run a bare kafkajs consumer
 *   (same fetch sizes and partition concurrency, no work per message) drains the same backlog, and the
 *   medians' ratio pulse / bare is printed. `--profile DIR` CPU-profiles the first pulse run (node
 *   --cpu-prof, every thread) and prints where each thread's time goes.
 * - Pub/Sub: `--pubsub-messages` (default 60,000) published at `--pubsub-rate` (default 9,000/s, about what
 *   the emulator streams) while `pulse ingest --source pubsub` runs; prints messages/s into bronze.
 *
 *   npm run build && npx tsx bench/ingest.ts [--runs 3] [--kafka-messages 1000000] [--pubsub-messages 60000] [--pubsub-rate 9000]
 *                                            [--kafka-only] [--profile DIR]
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { Kafka, Partitioners, logLevel } from "kafkajs";
import { z } from "zod";
import { PACKAGE_ROOT } from "../lib/home.js";
import { bronzeFilesAsRead } from "../lake/lakeReader.js";
import { ensureTopicsReady } from "../lib/kafkaTopics.js";
import { KAFKA_BROKERS, PUBSUB_EMULATOR_HOST } from "../services/services.js";
import { isPortOpen } from "../services/process.js";
import { produceToPubsub } from "../produce/toPubsub.js";
import type { ProducerRecord } from "../produce/producerRecord.js";
import { sleep } from "../lib/sleep.js";
import { summarizeCpuProfile } from "./cpuProfile.js";

/** The built CLI, as operators run it (`npx pulse`): the RSS figure is the product's, not tsx's. */
const CLI = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");
const KAFKA_TARGET = 50_000;
const PUBSUB_TARGET = 8_000;
const RSS_LIMIT_MB = 512;

interface RunResult {
  rows: number;
  distinct: number;
  perSecond: number;
  peakRssMb: number;
  exitCode: number | string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      "kafka-messages": { type: "string" },
      "pubsub-messages": { type: "string" },
      "pubsub-rate": { type: "string" },
      "kafka-only": { type: "boolean" },
      profile: { type: "string" },
    },
    strict: true,
  });
  const flags = z
    .object({
      runs: z.coerce.number().int().positive().default(3),
      "kafka-messages": z.coerce.number().int().positive().default(1_000_000),
      "pubsub-messages": z.coerce.number().int().positive().default(60_000),
      "pubsub-rate": z.coerce.number().int().positive().default(9_000),
      "kafka-only": z.boolean().default(false),
      profile: z.string().min(1).optional(),
    })
    .parse(values);
  const [kafkaUp, pubsubUp] = await Promise.all([isPortOpen(Number(KAFKA_BROKERS.split(":")[1])), isPortOpen(Number(PUBSUB_EMULATOR_HOST.split(":")[1]))]);
  if (!kafkaUp || !pubsubUp) throw new Error("start the services first: npm run services:up");
  if (!existsSync(CLI)) throw new Error("build first: npm run build");

  const prefix = `bench-${Date.now().toString(36)}-${randomBytes(2).toString("hex")}-`;
  const total = flags["kafka-messages"];
  const fillSeconds = await fillKafka(`${prefix}bpm`, total);
  console.log(`kafka: ${total.toLocaleString("en-US")} heart-rate events on ${prefix}bpm (3 partitions) in ${fillSeconds.toFixed(1)} s`);

  const kafkaRuns: RunResult[] = [];
  const bareRates: number[] = [];
  for (let run = 1; run <= flags.runs; run++) {
    const bare = await bareDrain(`${prefix}bpm`, total, `${prefix}bare${run}`);
    bareRates.push(bare);
    console.log(`bare kafkajs run ${run}: ${bare.toLocaleString("en-US")} events/s`);
    const profileArgs = run === 1 && flags.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(flags.profile)}`] : [];
    const result = await timedIngest(
      ["--source", "kafka", "--brokers", KAFKA_BROKERS, "--topic-prefix", prefix, "--topics", "bpm", "--group", `${prefix}g${run}`],
      total,
      async () => undefined,
      undefined,
      profileArgs,
    );
    kafkaRuns.push(result);
    console.log(
      `kafka run ${run}: ${rate(result).toLocaleString("en-US")} events/s (lag at start ${total.toLocaleString("en-US")}, 0 at the end), peak RSS ${result.peakRssMb} MB, ` +
        `${result.rows === total && result.distinct === total ? "every offset exactly once" : `LOSS/DUPLICATES: ${result.rows} rows, ${result.distinct} distinct`}, exit ${result.exitCode}`,
    );
  }

  const kafkaMedian = median(kafkaRuns.map(rate));
  const bareMedian = median(bareRates);
  const rssMedian = median(kafkaRuns.map((r) => r.peakRssMb));
  if (flags.profile) await printProfiles(path.resolve(flags.profile));

  const pubsubRuns: RunResult[] = [];
  process.env.PUBSUB_EMULATOR_HOST = PUBSUB_EMULATOR_HOST;
  for (let run = 1; run <= (flags["kafka-only"] ? 0 : flags.runs); run++) {
    const p = `${prefix}ps${run}-`;
    const n = flags["pubsub-messages"];
    const result = await timedIngest(
      ["--source", "pubsub", "--project-id", "pulse-bench", "--topic-prefix", p, "--subscription-prefix", `${p}sub-`],
      n,
      () =>
        produceToPubsub(heartRates(n), { projectId: "pulse-bench", topicPrefix: p, subscriptionPrefix: `${p}sub-`, rate: flags["pubsub-rate"], progressMs: 3_600_000, log: () => undefined }).then(
          () => undefined,
        ),
      `${p}sub-workout`,
    );
    pubsubRuns.push(result);
    console.log(
      `pubsub run ${run}: ${rate(result).toLocaleString("en-US")} msgs/s, peak RSS ${result.peakRssMb} MB, ${result.distinct === n ? "every message id present" : `MISSING: ${result.distinct}/${n}`}, exit ${result.exitCode}`,
    );
  }

  const pubsubMedian = median(pubsubRuns.map(rate));
  console.log("");
  console.log(`kafka → bronze:  median ${kafkaMedian.toLocaleString("en-US")} events/s (target ${KAFKA_TARGET.toLocaleString("en-US")}: ${(kafkaMedian / KAFKA_TARGET).toFixed(2)}×)`);
  console.log(`bare kafkajs:    median ${bareMedian.toLocaleString("en-US")} events/s; pulse / bare = ${(kafkaMedian / bareMedian).toFixed(2)}× (medians of ${flags.runs} runs each)`);
  if (!flags["kafka-only"])
    console.log(
      `pubsub → bronze: median ${pubsubMedian.toLocaleString("en-US")} msgs/s at ${flags["pubsub-rate"].toLocaleString("en-US")}/s offered (target ${PUBSUB_TARGET.toLocaleString("en-US")}: ${(pubsubMedian / PUBSUB_TARGET).toFixed(2)}×)`,
    );
  console.log(
    `burst (${total.toLocaleString("en-US")} backlog): median peak RSS ${rssMedian} MB (limit ${RSS_LIMIT_MB} MB), loss: ${kafkaRuns.every((r) => r.rows === total && r.distinct === total) ? "none" : "YES"}`,
  );
}

async function fillKafka(topic: string, total: number): Promise<number> {
  const kafka = new Kafka({ clientId: "pulse-bench", brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  const started = Date.now();
  await ensureTopicsReady(admin, [{ topic, numPartitions: 3 }]);
  const devices = 30;
  for (let sent = 0; sent < total;) {
    const n = Math.min(20_000, total - sent);
    const messages = Array.from({ length: n }, (_, i) => {
      const k = sent + i;
      const device = 100_000 + (k % devices);
      const time = 1678410000 + Math.floor(k / devices);
      return { key: String(device), value: `{"device_id": ${device}, "time": ${time}, "heartrate": ${(50 + (k % 70) + 0.25).toFixed(2)}}`, timestamp: String(time * 1000) };
    });
    await producer.send({ topic, messages, acks: -1 });
    sent += n;
  }
  await Promise.all([producer.disconnect(), admin.disconnect()]);
  return (Date.now() - started) / 1000;
}

/**
 * Drains the backlog with a bare kafkajs consumer in a fresh group: the same fetch sizes, wait and partition
 * concurrency as the ingest, and nothing done per message. Timed like the ingest: from the end of the first
 * batch to the last, counting the messages in between.
 */
async function bareDrain(topic: string, total: number, groupId: string): Promise<number> {
  const kafka = new Kafka({ clientId: "pulse-bench-bare", brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  let firstBatch = 0;
  const endedAt = await new Promise<number>((resolve, reject) => {
    consumer
      .run({
        partitionsConsumedConcurrently: 3,
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          if (firstAt === 0) {
            firstAt = performance.now();
            firstBatch = batch.messages.length;
          }
          if (seen >= total) resolve(performance.now());
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return Math.round(((seen - firstBatch) * 1000) / Math.max(endedAt - firstAt, 1));
}

/** Prints each thread's profile summary: the worker thread is the ingest, the main thread only relays. */
async function printProfiles(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile")).sort();
  for (const file of files) {
    const shares = await summarizeCpuProfile(path.join(dir, file));
    const total = shares.reduce((a, s) => a + s.ms, 0);
    console.log(`\nprofile ${file} (${total.toLocaleString("en-US")} ms sampled):`);
    for (const s of shares) console.log(`  ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.ms.toLocaleString("en-US").padStart(7)} ms  ${s.category}`);
  }
}

async function* heartRates(n: number): AsyncGenerator<ProducerRecord> {
  for (let k = 0; k < n; k++) {
    const device = 200_000 + (k % 30);
    const time = 1678410000 + Math.floor(k / 30);
    yield { topic: "bpm", key: String(device), value: `{"device_id": ${device}, "time": ${time}, "heartrate": 72.5}`, timestamp: time * 1000 };
  }
}

/**
 * Runs `pulse ingest` in its own process until bronze holds `expected` distinct messages, then SIGTERMs
 * it. The rate is measured from the first lake file to the one that completed the set.
 */
async function timedIngest(args: string[], expected: number, feed: () => Promise<void>, readyMarker?: string, nodeArgs: string[] = []): Promise<RunResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), "pulse-bench-ingest-"));
  const child = spawn(process.execPath, [...nodeArgs, CLI, "ingest", ...args, "--home", home, "--progress-interval", "2"], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, PUBSUB_EMULATOR_HOST },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  let peakRssMb = 0;
  const rssTimer = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, "utf8")
      .then((status) => {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peakRssMb = Math.max(peakRssMb, Math.round(kb / 1024));
      })
      .catch(() => undefined);
  }, 200);
  try {
    if (readyMarker) {
      while (!output.includes(readyMarker)) {
        if (child.exitCode !== null) throw new Error(`ingest exited:\n${output}`);
        await sleep(100);
      }
    }
    const feeding = feed();
    const deadline = Date.now() + 600_000;
    let counts: LakeCounts = { rows: 0, distinct: 0, measuredRows: 0, measuredMs: 0 };
    while (counts.distinct < expected) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ingest did not finish (${counts.distinct}/${expected}):\n${output.slice(-2000)}`);
      await sleep(1000);
      counts = await lakeCounts(home);
    }
    await feeding;
    child.kill("SIGTERM");
    const exitCode = await exited;
    const final = await lakeCounts(home);
    return { rows: final.rows, distinct: final.distinct, perSecond: Math.round((counts.measuredRows * 1000) / Math.max(counts.measuredMs, 1)), peakRssMb, exitCode };
  } finally {
    clearInterval(rssTimer);
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(home, { recursive: true, force: true });
  }
}

interface LakeCounts {
  rows: number;
  distinct: number;
  /** Rows in the files after the first one, and the time between the first and the last file's commit. */
  measuredRows: number;
  measuredMs: number;
}

/**
 * Counts bronze rows, and the rate window: `_ingested_at` stamps when each batch was committed, so the
 * window from the first file to the last excludes process start-up; the first file's rows were read before
 * its stamp and are left out of the rate.
 */
async function lakeCounts(home: string): Promise<LakeCounts> {
  const folder = path.join(home, "dev", "lake", "bronze", "kafka_multiplex");
  const files = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith(".parquet") && f !== "_empty.parquet");
  if (files.length === 0) return { rows: 0, distinct: 0, measuredRows: 0, measuredMs: 0 };
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const multiplex = bronzeFilesAsRead("kafka_multiplex", `read_parquet([${files.map((f) => `'${path.join(folder, f)}'`).join(", ")}], union_by_name = true)`);
    const reader = await connection.runAndReadAll(
      `WITH batches AS (SELECT _ingested_at AS ts, count(*) AS n FROM ${multiplex} GROUP BY _ingested_at)
       SELECT sum(n), (SELECT count(DISTINCT message_id) FROM ${multiplex}), sum(n) - arg_min(n, ts), epoch_ms(max(ts)) - epoch_ms(min(ts)) FROM batches`,
    );
    const [rows, distinct, measuredRows, measuredMs] = reader.getRowsJS()[0]!.map(Number) as [number, number, number, number];
    return { rows, distinct, measuredRows, measuredMs };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const rate = (r: RunResult): number => r.perSecond;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

await main();
