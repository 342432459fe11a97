import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { homePaths } from "../lib/home.js";

/** One partition (Kafka) or subscription (Pub/Sub) as last seen by a running ingest process. */
export interface StreamPosition {
  /** Kafka: next offset to read per the broker's committed offset after our last commit. */
  committed?: number;
  /** Kafka: highest offset durable in the lake. */
  lakeOffset?: number;
  highWatermark?: number;
  lag?: number;
}

/** Kafka: a partition found recreated under the ingest (ingest/sources/kafka/recreatedPartition.ts). */
export interface RecreatedPartition {
  /** The incarnation its messages are ingested as from now on. */
  incarnation: number;
  detectedAt: string;
  /** The previous incarnation's highest offset in the lake (its messages keep their ids). */
  previousHigh: number | undefined;
  reason: string;
}

/**
 * What `pulse ingest status` shows when the broker cannot be asked: written by the ingest process after
 * every flush (atomically, so a reader never sees half a file).
 */
export interface StreamState {
  source: "kafka" | "pubsub";
  /** Kafka: the consumer group; Pub/Sub: the project. */
  name: string;
  endpoint: string;
  pid: number;
  startedAt: string;
  updatedAt: string;
  lastFlush?: { at: string; rows: number; deadLetters: number; files: string[] };
  totals: { records: number; deadLetters: number; flushes: number };
  positions: Record<string, StreamPosition>;
  /** Extra source-specific facts (topics ingested, subscriptions). */
  streams: string[];
  /** Kafka: partitions this process found recreated, by `<topic>/<partition>`. */
  recreated?: Record<string, RecreatedPartition>;
  stoppedAt?: string;
}

/** The state of an ingest process that has just started: nothing flushed yet. */
export function initialStreamState(source: StreamState["source"], name: string, endpoint: string, streams: string[]): StreamState {
  const now = new Date().toISOString();
  return { source, name, endpoint, pid: process.pid, startedAt: now, updatedAt: now, totals: { records: 0, deadLetters: 0, flushes: 0 }, positions: {}, streams };
}

/** Adds a finished flush to the totals, and remembers it as the last flush when it wrote files. */
export function recordFlush(state: StreamState, flush: { rows: number; deadLetters: number; files: { file: string }[]; at: Date }): void {
  state.totals.records += flush.rows;
  state.totals.deadLetters += flush.deadLetters;
  state.totals.flushes += 1;
  if (flush.files.length > 0) {
    state.lastFlush = { at: flush.at.toISOString(), rows: flush.rows, deadLetters: flush.deadLetters, files: flush.files.map((f) => f.file) };
  }
}

export function streamStateFile(home: string, source: StreamState["source"], name: string): string {
  return path.join(homePaths(home).streamState, `${source}-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`);
}

export async function writeStreamState(home: string, state: StreamState): Promise<void> {
  const file = streamStateFile(home, state.source, state.name);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + "\n");
  await rename(tmp, file);
}

/**
 * Saves an ingest process's state in the order its snapshots were taken: a write never waits on the ingest, and a
 * slow disk never reorders two saves (an older snapshot written last would show positions going back).
 */
export class StreamStateSaver {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly home: string,
    private readonly log: (line: string) => void,
  ) {}

  save(state: StreamState): void {
    state.updatedAt = new Date().toISOString();
    const snapshot = JSON.parse(JSON.stringify(state)) as StreamState;
    this.pending = this.pending.then(() => writeStreamState(this.home, snapshot)).catch((error: unknown) => this.log(`could not write ingest state: ${(error as Error).message}`));
  }

  /** Resolves once every save so far is on disk (or has been reported as failed). */
  settled(): Promise<void> {
    return this.pending;
  }
}

export async function readStreamStates(home: string): Promise<StreamState[]> {
  const folder = homePaths(home).streamState;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const states: StreamState[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    try {
      states.push(JSON.parse(await readFile(path.join(folder, name), "utf8")) as StreamState);
    } catch {
      // a state file from an incompatible version or a disk problem: status shows what it can read
    }
  }
  return states;
}
