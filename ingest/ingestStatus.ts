import { DuckDBInstance } from "../lib/duckdb.js";
import { Kafka, logLevel } from "kafkajs";
import { isProcessAlive } from "../lib/fileLock.js";
import { homePaths } from "../lib/home.js";
import { textTable } from "../lib/textTable.js";
import { LakeOffsets } from "./sources/kafka/lakeOffsets.js";
import { kafkaPartitionStatus } from "./sources/kafka/partitionStatus.js";
import { readStreamStates, type StreamState } from "./streamState.js";
import { committedFiles, parquetFilesSql } from "../lake/lakeReader.js";

export interface StatusRow {
  source: string;
  name: string;
  stream: string;
  partition: number | null;
  committed: number | null;
  lakeOffset: number | null;
  incarnation: number | null;
  endOffset: number | null;
  lag: number | null;
  deadLetters: number;
  lastFlush: string | null;
  running: boolean;
  flag: string | null;
}

/**
 * `pulse ingest status`: per Kafka partition the group's committed offset, the highest offset durable in
 * the lake, the broker's end offset and the lag; per Pub/Sub subscription what the ingest process last
 * recorded; dead letters counted from the lake itself. Works with the broker down (from the saved state).
 */
export async function readIngestStatus(home: string, brokers: string[]): Promise<StatusRow[]> {
  const reader = new IngestStatusReader(home);
  try {
    return await reader.read(brokers);
  } finally {
    reader.close();
  }
}

/**
 * Ingest status for a watcher that asks again and again (`pulse serve` polls every second): the lake's offsets
 * and dead-letter counts are kept between reads, and each read looks only at lake files committed since.
 * `brokers: "saved state only"` never asks the broker: the positions are the ingest process's own from its last
 * flush, which is what a poller wants (an admin client per poll is a broker connection per second per viewer).
 */
export class IngestStatusReader {
  private lake: LakeOffsets | undefined;
  private readonly deadLetters = new DeadLetterCounts();

  constructor(private readonly home: string) {}

  async read(brokers: string[] | "saved state only"): Promise<StatusRow[]> {
    const states = await readStreamStates(this.home);
    if (states.length === 0) return [];
    const deadLetters = await this.deadLetters.bySource(this.home);
    if (this.lake) await this.lake.refresh();
    else this.lake = await LakeOffsets.open(this.home);
    const rows: StatusRow[] = [];
    for (const state of states) {
      const running = state.stoppedAt === undefined && isProcessAlive(state.pid);
      const live = state.source === "kafka" && brokers !== "saved state only" ? await brokerPositions(state, state.endpoint ? state.endpoint.split(",") : brokers) : undefined;
      for (const stream of state.streams) {
        const source = `${state.source}:${stream}`;
        const partitions = live?.get(stream) ?? partitionsFromState(state, stream);
        for (const p of partitions) {
          const kafka = state.source === "kafka" && p.partition !== null ? kafkaPartitionStatus(this.lake, stream, p.partition, p, state.recreated?.[`${stream}/${p.partition}`]) : undefined;
          rows.push({
            source: state.source,
            name: state.name,
            stream,
            partition: p.partition,
            committed: p.committed,
            lakeOffset: kafka?.lakeOffset ?? null,
            incarnation: kafka?.incarnation ?? null,
            endOffset: p.endOffset,
            lag: kafka?.lag ?? p.lag,
            deadLetters: deadLetters.get(source) ?? 0,
            lastFlush: state.lastFlush?.at ?? null,
            running,
            flag: kafka?.flag ?? null,
          });
        }
      }
    }
    return rows;
  }

  close(): void {
    this.lake?.close();
    this.lake = undefined;
  }
}

/** The status rows as a table for a terminal, then a warning line per flagged partition. */
export function ingestStatusTable(rows: StatusRow[], home: string): string {
  if (rows.length === 0) return `no Kafka or Pub/Sub ingest has run against ${home}`;
  const columns = ["source", "group/project", "topic/subscription", "partition", "incarnation", "committed", "in lake", "end offset", "lag", "dead letters", "last flush", "running"];
  const fmt = (v: number | null) => (v === null ? "" : v.toLocaleString("en-US"));
  const table = textTable(
    columns,
    rows.map((r) => [
      r.source,
      r.name,
      r.stream,
      r.partition ?? "",
      fmt(r.incarnation),
      fmt(r.committed),
      fmt(r.lakeOffset),
      fmt(r.endOffset),
      fmt(r.lag),
      fmt(r.deadLetters),
      r.lastFlush ?? "",
      r.running ? "yes" : "no",
    ]),
  );
  const warnings = rows.filter((r) => r.flag !== null).map((r) => `warning: ${r.stream}/${r.partition}: ${r.flag}`);
  return [table, ...warnings].join("\n");
}

interface PartitionPosition {
  partition: number | null;
  committed: number | null;
  endOffset: number | null;
  lag: number | null;
}

function partitionsFromState(state: StreamState, stream: string): PartitionPosition[] {
  const found = Object.entries(state.positions)
    .filter(([key]) => key === stream || key.slice(0, key.lastIndexOf("/")) === stream)
    .map(([key, p]) => ({
      partition: key === stream ? null : Number(key.slice(key.lastIndexOf("/") + 1)),
      committed: p.committed ?? null,
      endOffset: p.highWatermark ?? null,
      lag: p.lag ?? null,
    }));
  return found.length > 0 ? found : [{ partition: null, committed: null, endOffset: null, lag: null }];
}

/** Live committed and end offsets from the broker; undefined when it cannot be reached within a few seconds. */
async function brokerPositions(state: StreamState, brokers: string[]): Promise<Map<string, PartitionPosition[]> | undefined> {
  const kafka = new Kafka({ clientId: "pulse-status", brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2000, retry: { retries: 1 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: state.name, topics: state.streams });
    const result = new Map<string, PartitionPosition[]>();
    for (const topic of state.streams) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      result.set(
        topic,
        ends
          .sort((a, b) => a.partition - b.partition)
          .map((end) => {
            const c = Number(mine.find((m) => m.partition === end.partition)?.offset ?? -1);
            return { partition: end.partition, committed: c >= 0 ? c : null, endOffset: Number(end.high), lag: null };
          }),
      );
    }
    return result;
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Dead letters per `_source`, counted once per committed dead-letter file (files never change once committed). */
class DeadLetterCounts {
  private readonly perFile = new Map<string, Map<string, number>>();

  async bySource(home: string): Promise<Map<string, number>> {
    const files = (await committedFiles(homePaths(home), "dead_letters")).map((f) => f.file);
    const unread = files.filter((f) => !this.perFile.has(f));
    if (unread.length > 0) await this.count(unread);
    const totals = new Map<string, number>();
    for (const file of files) for (const [source, n] of this.perFile.get(file)!) totals.set(source, (totals.get(source) ?? 0) + n);
    return totals;
  }

  private async count(files: string[]): Promise<void> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    const connection = await instance.connect();
    try {
      for (const file of files) this.perFile.set(file, new Map());
      const reader = await connection.runAndReadAll(`SELECT filename, _source, count(*) FROM ${parquetFilesSql(files, { filename: true })} GROUP BY ALL`);
      for (const [file, source, n] of reader.getRowsJS()) this.perFile.get(String(file))!.set(String(source), Number(n));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }
}
