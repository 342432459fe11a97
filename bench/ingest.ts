/**
 * Stream ingest → bronze throughput, against the real local broker and emulator (`npm run services:up`).
 *
 * - Kafka: a backlog of `--kafka-messages` heart-rate events on a 3-partition topic (default 1,000,000
 *   arriving at once, which is also the 10× burst: ten seconds of ten times the 10,000/s fleet), drained `--runs`
 *   times by `pulse ingest --source kafka` in its own process (fresh group and PULSE_HOME each run).
 *   Prints events/s from the first to the last lake file, the lag at the start, the ingest's peak RSS
 *   (VmHWM), its CPU per event over the same window, the load average, and whether bronze holds every offset
 *   exactly once. Before each run a bare kafkajs consumer (same fetch sizes and partition concurrency, no work
 *   per message) drains the same backlog, and the medians' ratio pulse / bare is printed, by wall clock and by
 *   CPU time (events per CPU-second: the figure the other load on a shared machine disturbs least).
 *   Then `--processes` (default 2,3) ingest processes in one consumer group on one home drain it together.
 *   `--profile DIR` CPU-profiles the first pulse run (node --cpu-prof, every thread) and prints where each
 *   thread's time goes.
 * - Pub/Sub: `--pubsub-messages` (default 60,000) published at `--pubsub-rate` (default 9,000/s, about what
 *   the emulator streams) to a bare subscriber that acks at once, then to `pulse ingest --source pubsub`;
 *   prints both rates and their ratio.
 *
 *   npm run build && npx tsx bench/ingest.ts [--runs 3] [--kafka-messages 1000000] [--pubsub-messages 60000] [--pubsub-rate 9000]
 *                                            [--processes 2,3] [--kafka-only] [--profile DIR] [--existing-prefix P]
 *   (--existing-prefix: reuse topic P + "bpm" that an earlier run filled, instead of filling a new one)
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
import { ensureSubscription, openPubSub } from "../lib/pubsubClient.js";
import type { Message } from "@google-cloud/pubsub";
import type { ProducerRecord } from "../produce/producerRecord.js";
import { sleep } from "../lib/sleep.js";
import { summarizeCpuProfile } from "./cpuProfile.js";

/** The built CLI, as operators run it (`npx pulse`): the RSS figure is the product's, not tsx's. */
const CLI = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");
const KAFKA_TARGET = 50_000;
const RSS_LIMIT_MB = 512;

interface RunResult {
  rows: number;
  distinct: number;
  perSecond: number;
  /** Events per second of CPU time (all processes, all threads) over the same window as perSecond. */
  perCpuSecond: number;
  /** The largest peak RSS among the processes. */
  peakRssMb: number;
  exitCodes: (number | string)[];
  /** 1-minute load average at the end of the run. */
  load: number;
}

interface BareResult {
  perSecond: number;
  perCpuSecond: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      "kafka-messages": { type: "string" },
      "pubsub-messages": { type: "string" },
      "pubsub-rate": { type: "string" },
      "kafka-only": { type: "boolean" },
      processes: { type: "string" },
      "existing-prefix": { type: "string" },
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
      processes: z
        .string()
        .default("2,3")
        .transform((list) => list.split(",").filter(Boolean).map(Number))
        .pipe(z.array(z.number().int().min(2).max(3))),
      profile: z.string().min(1).optional(),
      "existing-prefix": z.string().min(1).optional(),
    })
    .parse(values);
  const [kafkaUp, pubsubUp] = await Promise.all([isPortOpen(Number(KAFKA_BROKERS.split(":")[1])), isPortOpen(Number(PUBSUB_EMULATOR_HOST.split(":")[1]))]);
  if (!kafkaUp || !pubsubUp) throw new Error("start the services first: npm run services:up");
  if (!existsSync(CLI)) throw new Error("build first: npm run build");

  const prefix = flags["existing-prefix"] ?? `bench-${Date.now().toString(36)}-${randomBytes(2).toString("hex")}-`;
  const total = flags["kafka-messages"];
  if (flags["existing-prefix"]) console.log(`kafka: reusing ${prefix}bpm, which must hold exactly ${count(total)} events`);
  else console.log(`kafka: ${count(total)} heart-rate events on ${prefix}bpm (3 partitions) in ${(await fillKafka(`${prefix}bpm`, total)).toFixed(1)} s`);

  // Groups and Pub/Sub names unique to this invocation, also when the topic is reused.
  const names = `${prefix}${Date.now().toString(36)}-`;
  const kafkaRuns: RunResult[] = [];
  const bareRuns: BareResult[] = [];
  const kafkaArgs = (group: string) => ["--source", "kafka", "--brokers", KAFKA_BROKERS, "--topic-prefix", prefix, "--topics", "bpm", "--group", group];
  for (let run = 1; run <= flags.runs; run++) {
    const bare = await bareDrain(`${prefix}bpm`, total, `${names}bare${run}`);
    bareRuns.push(bare);
    console.log(`bare kafkajs run ${run}: ${count(bare.perSecond)} events/s, ${count(bare.perCpuSecond)} events per CPU-second (load ${loadNow()})`);
    const profileArgs = run === 1 && flags.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(flags.profile)}`] : [];
    const result = await timedIngest(kafkaArgs(`${names}g${run}`), total, async () => undefined, { nodeArgs: profileArgs });
    kafkaRuns.push(result);
    console.log(`kafka run ${run}: ${describeRun(result, total, "every offset exactly once")}`);
  }
  const scaleOut: { processes: number; result: RunResult }[] = [];
  for (const processes of flags.processes) {
    const result = await timedIngest(kafkaArgs(`${names}n${processes}`), total, async () => undefined, { processes });
    scaleOut.push({ processes, result });
    console.log(`kafka, ${processes} processes in one group on one home: ${describeRun(result, total, "every offset exactly once")}`);
  }

  const kafkaMedian = median(kafkaRuns.map((r) => r.perSecond));
  const kafkaCpuMedian = median(kafkaRuns.map((r) => r.perCpuSecond));
  const bareMedian = median(bareRuns.map((r) => r.perSecond));
  const bareCpuMedian = median(bareRuns.map((r) => r.perCpuSecond));
  const rssMedian = median(kafkaRuns.map((r) => r.peakRssMb));
  if (flags.profile) await printProfiles(path.resolve(flags.profile));

  const pubsubRuns: RunResult[] = [];
  const pubsubBare: number[] = [];
  process.env.PUBSUB_EMULATOR_HOST = PUBSUB_EMULATOR_HOST;
  for (let run = 1; run <= (flags["kafka-only"] ? 0 : flags.runs); run++) {
    const n = flags["pubsub-messages"];
    const publish = (p: string) => () =>
      produceToPubsub(heartRates(n), { projectId: "pulse-bench", topicPrefix: p, subscriptionPrefix: `${p}sub-`, rate: flags["pubsub-rate"], progressMs: 3_600_000, log: () => undefined }).then(
        () => undefined,
      );
    const bare = await bareSubscribe(`${names}psb${run}-`, n, publish(`${names}psb${run}-`));
    pubsubBare.push(bare);
    console.log(`bare subscriber run ${run}: ${count(bare)} msgs/s (load ${loadNow()})`);
    const p = `${names}ps${run}-`;
    const result = await timedIngest(["--source", "pubsub", "--project-id", "pulse-bench", "--topic-prefix", p, "--subscription-prefix", `${p}sub-`], n, publish(p), {
      readyMarker: `${p}sub-workout`,
    });
    pubsubRuns.push(result);
    console.log(`pubsub run ${run}: ${describeRun(result, n, "every message id present")}`);
  }

  const pubsubMedian = median(pubsubRuns.map((r) => r.perSecond));
  const pubsubBareMedian = median(pubsubBare);
  const loads = [...kafkaRuns, ...scaleOut.map((s) => s.result), ...pubsubRuns].map((r) => r.load);
  console.log("");
  console.log(`kafka → bronze:  median ${count(kafkaMedian)} events/s (target ${count(KAFKA_TARGET)}: ${(kafkaMedian / KAFKA_TARGET).toFixed(2)}×), ${count(kafkaCpuMedian)} events per CPU-second`);
  console.log(`bare kafkajs:    median ${count(bareMedian)} events/s, ${count(bareCpuMedian)} events per CPU-second`);
  console.log(
    `pulse / bare:    ${(kafkaMedian / bareMedian).toFixed(2)}× by wall clock, ${(kafkaCpuMedian / bareCpuMedian).toFixed(2)}× by CPU time (target 0.5×; medians of ${flags.runs} runs each)`,
  );
  for (const { processes, result } of scaleOut)
    console.log(
      `${processes} processes:     ${count(result.perSecond)} events/s together (${(result.perSecond / kafkaMedian).toFixed(2)}× one process), ${count(result.perCpuSecond)} events per CPU-second`,
    );
  if (!flags["kafka-only"])
    console.log(
      `pubsub → bronze: median ${count(pubsubMedian)} msgs/s at ${count(flags["pubsub-rate"])}/s offered; bare subscriber ${count(pubsubBareMedian)} msgs/s; pulse / bare = ${(pubsubMedian / pubsubBareMedian).toFixed(2)}× (target 0.9×)`,
    );
  console.log(
    `burst (${count(total)} backlog): median peak RSS ${rssMedian} MB (limit ${RSS_LIMIT_MB} MB), loss: ${[...kafkaRuns, ...scaleOut.map((s) => s.result)].every((r) => r.distinct === total) ? "none" : "YES"}`,
  );
  console.log(
    `load average (1 min) during the runs: median ${median(loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)} on ${os.cpus().length} CPUs: wall-clock figures are noisy, CPU-time ones less so`,
  );
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const loadNow = () => os.loadavg()[0]!.toFixed(1);

function describeRun(r: RunResult, expected: number, whole: string): string {
  const complete =
    r.rows === expected && r.distinct === expected ? whole : r.distinct === expected ? `${r.rows - expected} replayed duplicates, none lost` : `LOSS: ${r.distinct}/${expected} distinct`;
  return `${count(r.perSecond)} events/s, ${count(r.perCpuSecond)} events per CPU-second, peak RSS ${r.peakRssMb} MB, ${complete}, exit ${r.exitCodes.join(",")} (load ${r.load.toFixed(1)})`;
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
async function bareDrain(topic: string, total: number, groupId: string): Promise<BareResult> {
  const kafka = new Kafka({ clientId: "pulse-bench-bare", brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, maxBytesPerPartition: 1024 * 1024, maxBytes: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  let firstBatch = 0;
  let firstCpu = process.cpuUsage();
  const ended = await new Promise<{ at: number; cpu: NodeJS.CpuUsage }>((resolve, reject) => {
    consumer
      .run({
        partitionsConsumedConcurrently: 3,
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          if (firstAt === 0) {
            firstAt = performance.now();
            firstCpu = process.cpuUsage();
            firstBatch = batch.messages.length;
          }
          if (seen >= total) resolve({ at: performance.now(), cpu: process.cpuUsage(firstCpu) });
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  const cpuSeconds = (ended.cpu.user + ended.cpu.system) / 1e6;
  return { perSecond: Math.round(((seen - firstBatch) * 1000) / Math.max(ended.at - firstAt, 1)), perCpuSecond: Math.round((seen - firstBatch) / Math.max(cpuSeconds, 1e-3)) };
}

/**
 * What the emulator delivers to a bare subscriber that acks each message at once (the same flow control as the
 * ingest), while `publish` runs: messages per second from the first message to the last, the first left out.
 */
async function bareSubscribe(prefix: string, total: number, publish: () => Promise<void>): Promise<number> {
  const pubsub = await openPubSub("pulse-bench");
  try {
    await ensureSubscription(pubsub, `${prefix}sub-bpm`, `${prefix}bpm`);
    const subscription = pubsub.subscription(`${prefix}sub-bpm`, { flowControl: { maxMessages: 20_000, allowExcessMessages: false } });
    const ids = new Set<string>();
    let firstAt = 0;
    const publishing = publish();
    const lastAt = await new Promise<number>((resolve, reject) => {
      subscription.on("error", reject);
      subscription.on("message", (message: Message) => {
        message.ack();
        ids.add(message.id);
        if (firstAt === 0) firstAt = performance.now();
        if (ids.size === total) resolve(performance.now());
      });
    });
    await publishing;
    await subscription.close();
    return Math.round(((total - 1) * 1000) / Math.max(lastAt - firstAt, 1));
  } finally {
    await pubsub.close();
  }
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
 * Runs `pulse ingest` in `processes` processes (one consumer group, one home) until bronze holds `expected`
 * distinct messages, then SIGTERMs them. The rate is measured from the first lake file to the one that completed
 * the set; the CPU time over about the same window, from the processes' /proc counters at the polls that saw
 * the first rows and the last.
 */
async function timedIngest(args: string[], expected: number, feed: () => Promise<void>, options: { readyMarker?: string; nodeArgs?: string[]; processes?: number } = {}): Promise<RunResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), "pulse-bench-ingest-"));
  const children = Array.from({ length: options.processes ?? 1 }, () => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, "ingest", ...args, "--home", home, "--progress-interval", "2"], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, PUBSUB_EMULATOR_HOST },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const state = { child, output: "", peakRssMb: 0, cpuTicks: 0, exited: new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1))) };
    child.stderr.on("data", (d: Buffer) => (state.output += d.toString()));
    return state;
  });
  const sample = () =>
    Promise.all(
      children.map(async (c) => {
        const [status, stat] = await Promise.all([readFile(`/proc/${c.child.pid}/status`, "utf8"), readFile(`/proc/${c.child.pid}/stat`, "utf8")]).catch(() => ["", ""]);
        c.peakRssMb = Math.max(c.peakRssMb, Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024));
        // utime and stime: fields 14 and 15, counted after the parenthesized command name.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (fields.length > 13) c.cpuTicks = Number(fields[11]) + Number(fields[12]);
      }),
    );
  const rssTimer = setInterval(() => void sample(), 200);
  const output = () => children.map((c) => c.output).join("\n");
  try {
    if (options.readyMarker) {
      while (!output().includes(options.readyMarker)) {
        if (children.some((c) => c.child.exitCode !== null)) throw new Error(`ingest exited:\n${output()}`);
        await sleep(100);
      }
    }
    const feeding = feed();
    const deadline = Date.now() + 600_000;
    let counts: LakeCounts = { rows: 0, distinct: 0, measuredRows: 0, measuredMs: 0 };
    let cpuStart: { ticks: number; rows: number } | undefined;
    const ticks = () => children.reduce((a, c) => a + c.cpuTicks, 0);
    while (counts.distinct < expected) {
      if (Date.now() > deadline || children.some((c) => c.child.exitCode !== null)) throw new Error(`ingest did not finish (${counts.distinct}/${expected}):\n${output().slice(-2000)}`);
      await sleep(1000);
      counts = await lakeCounts(home);
      await sample();
      if (cpuStart === undefined && counts.rows > 0) cpuStart = { ticks: ticks(), rows: counts.rows };
    }
    const cpuSeconds = (ticks() - cpuStart!.ticks) / CLOCK_TICKS;
    const cpuRows = counts.rows - cpuStart!.rows;
    await feeding;
    for (const c of children) c.child.kill("SIGTERM");
    const exitCodes = await Promise.all(children.map((c) => c.exited));
    const final = await lakeCounts(home);
    return {
      rows: final.rows,
      distinct: final.distinct,
      perSecond: Math.round((counts.measuredRows * 1000) / Math.max(counts.measuredMs, 1)),
      perCpuSecond: cpuRows > 0 ? Math.round(cpuRows / Math.max(cpuSeconds, 0.01)) : Number.NaN,
      peakRssMb: Math.max(...children.map((c) => c.peakRssMb)),
      exitCodes,
      load: os.loadavg()[0]!,
    };
  } finally {
    clearInterval(rssTimer);
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    await rm(home, { recursive: true, force: true });
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every common kernel). */
const CLOCK_TICKS = 100;

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

await main();
