import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Kafka, logLevel } from "kafkajs";
import { ensureTopicsReady } from "../../lib/kafkaTopics.js";
import { KAFKA_BROKERS, PUBSUB_EMULATOR_HOST } from "../../services/services.js";
import { PACKAGE_ROOT } from "../../lib/home.js";
import { bronzeFilesAsRead } from "../../lake/lakeReader.js";

export { REFERENCE } from "../referenceData.js";
/** Reference set 1's messages per topic (README of the reference data). */
export const SET1 = { user_info: 7, bpm: 253_801, workout: 16 } as const;
export const SET1_TOTAL = SET1.user_info + SET1.bpm + SET1.workout;

export { KAFKA_BROKERS, PUBSUB_EMULATOR_HOST };

export function uniquePrefix(name: string): string {
  return `t-${name}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}-`;
}

export async function tempHome(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "pulse-ingest-"));
}

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
}

/** `pulse ingest --source kafka` of the topics under `prefix`, in group `<prefix>group`, progress every second. */
export function kafkaIngestArgs(home: string, prefix: string, extra: string[] = [], brokers = KAFKA_BROKERS): string[] {
  return ["ingest", "--source", "kafka", "--brokers", brokers, "--topic-prefix", prefix, "--group", `${prefix}group`, "--home", home, "--progress-interval", "1", ...extra];
}

/** Runs `pulse <args>` from source in its own process, as an operator would, so it can be signalled and killed. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(PACKAGE_ROOT, "cli", "main.ts"), ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, PUBSUB_EMULATOR_HOST, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => text, exited };
}

/** Thrown by `Background.check` so `waitFor` stops at once rather than polling until its deadline. */
class BackgroundFailure extends Error {}

export interface Background<T> {
  promise: Promise<T>;
  /** Throws if the work has failed, so a wait on something it feeds ends with the real cause. */
  check(): void;
}

/** Work a test starts and awaits later (a producer feeding an ingest), with its failure visible meanwhile. */
export function inBackground<T>(promise: Promise<T>, what: string): Background<T> {
  let failure: unknown;
  promise.catch((error: unknown) => (failure = error ?? new Error("rejected")));
  return {
    promise,
    check() {
      if (failure !== undefined) throw new BackgroundFailure(`${what} failed: ${String(failure)}`);
    },
  };
}

/** Polls `probe` until it returns a value; gives up early (with its output) if `watch` has exited. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 90_000, everyMs = 250, watch?: CliProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let gone = false;
  void watch?.exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the process exited while waiting for ${what}:\n${watch!.output()}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof BackgroundFailure) throw error;
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const output = watch ? `\n${watch.output().split("\n").slice(-15).join("\n")}` : "";
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ""}${output}`);
}

/** Runs SQL over an environment's lake Parquet files; `{kafka_multiplex}` and `{dead_letters}` expand to read_parquet calls. */
export async function lakeQuery(home: string, sql: string, env = "dev"): Promise<Record<string, unknown>[]> {
  let text = sql;
  for (const table of ["kafka_multiplex", "dead_letters"]) {
    const folder = path.join(home, env, "lake", "bronze", table);
    const files = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith(".parquet"));
    const parquet = `read_parquet([${files.map((f) => `'${path.join(folder, f)}'`).join(", ")}], union_by_name = true)`;
    const source = files.length === 0 ? `(SELECT NULL AS x WHERE false)` : bronzeFilesAsRead(table, parquet);
    text = text.replaceAll(`{${table}}`, source);
  }
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(text);
    return reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function multiplexCount(home: string, env = "dev"): Promise<number> {
  const files = await readdir(path.join(home, env, "lake", "bronze", "kafka_multiplex")).catch(() => [] as string[]);
  if (!files.some((f) => f.endsWith(".parquet") && f !== "_empty.parquet")) return 0;
  const [row] = await lakeQuery(home, "SELECT count(*) AS n FROM {kafka_multiplex}", env);
  return Number(row?.n ?? 0);
}

/** Rows per topic, and how many distinct coordinates (Kafka) / message ids they have. */
export async function topicCounts(home: string, key: "coordinates" | "message_id"): Promise<Record<string, { rows: number; distinct: number }>> {
  const distinct = key === "coordinates" ? `count(DISTINCT (_source, "partition", "offset"))` : "count(DISTINCT message_id)";
  const rows = await lakeQuery(home, `SELECT topic, count(*) AS n, ${distinct} AS d FROM {kafka_multiplex} GROUP BY topic`);
  return Object.fromEntries(rows.map((r) => [String(r.topic), { rows: Number(r.n), distinct: Number(r.d) }]));
}

export function kafkaClient(brokers = KAFKA_BROKERS): Kafka {
  return new Kafka({ clientId: "pulse-tests", brokers: [brokers], logLevel: logLevel.NOTHING });
}

/** The group's committed offset per `topic/partition` (only partitions with a commit). */
export async function committedOffsets(group: string, topics: string[], brokers = KAFKA_BROKERS): Promise<Record<string, number>> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const result: Record<string, number> = {};
    for (const t of await admin.fetchOffsets({ groupId: group, topics })) {
      for (const p of t.partitions) if (Number(p.offset) >= 0) result[`${t.topic}/${p.partition}`] = Number(p.offset);
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** Sends raw bytes to a topic (the producer sink only sends text payloads, poison needs arbitrary bytes), keyed by index. */
export async function sendRaw(topic: string, values: (string | Buffer)[], partitions = 1): Promise<void> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await ensureTopicsReady(admin, [{ topic, numPartitions: partitions }]);
    await producer.send({ topic, messages: values.map((value, i) => ({ key: String(i), value })) });
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}
