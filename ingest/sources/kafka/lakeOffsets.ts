import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "../../../lib/duckdb.js";
import { homePaths, type HomePaths } from "../../../lib/home.js";
import { sqlString } from "../../../lake/sqlText.js";
import { kafkaSource, parseKafkaSource } from "./incarnation.js";
import { bronzeGlob, committedFiles, parquetFilesSql } from "../../../lake/lakeReader.js";

/** `<topic as on the broker>/<partition>`. */
export type PartitionKey = string;
export const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

/** A partition's progress in one incarnation: its highest offset durable in the lake (undefined: none yet). */
export interface IncarnationProgress {
  incarnation: number;
  high: number | undefined;
}

/** A message as the lake holds it, to compare with what the broker serves at the same coordinates. */
export interface StoredMessage {
  timestamp: number;
  value: string;
}

/**
 * The highest Kafka offset per partition that is durable in `bronze.kafka_multiplex`, read back from the
 * lake's own files. This, not the broker's committed offset, is the truth about progress: a process killed
 * after a file's rename and before its offset commit must not write those records again.
 * Progress is kept per incarnation (incarnation.ts): a partition's current incarnation is the newest one the
 * lake has rows of, or one the ingest has just begun; `get` answers for the current one.
 * Files are read once each; later refreshes only look at files that appeared since.
 */
export class LakeOffsets {
  /** Per partition: incarnation → highest durable offset (undefined: begun, nothing durable yet). */
  private readonly durable = new Map<PartitionKey, Map<number, number | undefined>>();
  private readonly seen = new Set<string>();

  private constructor(
    private readonly paths: HomePaths,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly readLake: boolean,
  ) {}

  /**
   * `readLake: false` when bronze is not in this lake (ingest --sink bigquery): progress is then only what this
   * process wrote, and a restart resumes from the group's committed offsets.
   */
  static async open(home: string, options: { readLake: boolean } = { readLake: true }): Promise<LakeOffsets> {
    // A side reader: keep it small next to the writer's DuckDB in the same process.
    const instance = await DuckDBInstance.create(":memory:", { threads: "1", memory_limit: "64MB" });
    const connection = await instance.connect();
    const offsets = new LakeOffsets(homePaths(home), instance, connection, options.readLake);
    await offsets.refresh();
    return offsets;
  }

  /** The highest durable offset of the partition's current incarnation. */
  get(key: PartitionKey): number | undefined {
    const all = this.durable.get(key);
    return all?.get(this.incarnation(key));
  }

  /** The partition's current incarnation (0 when the lake has none of its rows). */
  incarnation(key: PartitionKey): number {
    const all = this.durable.get(key);
    return all === undefined ? 0 : Math.max(...all.keys());
  }

  /** Every incarnation of the partition the lake (or this process) knows, oldest first. */
  incarnations(key: PartitionKey): IncarnationProgress[] {
    return [...(this.durable.get(key) ?? new Map<number, number | undefined>())].map(([incarnation, high]) => ({ incarnation, high })).sort((a, b) => a.incarnation - b.incarnation);
  }

  /** Makes `incarnation` the partition's current one, with nothing durable in it yet. */
  begin(key: PartitionKey, incarnation: number): void {
    const all = this.durable.get(key) ?? new Map<number, number | undefined>();
    if (!all.has(incarnation)) all.set(incarnation, undefined);
    this.durable.set(key, all);
  }

  /** Records what this process just committed to the lake, so the next refresh need not read it back. */
  noteWritten(file: string, highs: Iterable<{ key: PartitionKey; incarnation: number; offset: number }>): void {
    this.seen.add(path.basename(file));
    for (const h of highs) this.raise(h.key, h.incarnation, h.offset);
  }

  /**
   * The lake's rows of one partition incarnation between two offsets (inclusive). Only used when the broker
   * serves offsets the lake already has (a replay after a crash, or a recreated topic), so it reads every file.
   */
  async storedMessages(brokerTopic: string, partition: number, incarnation: number, from: number, to: number): Promise<Map<number, StoredMessage>> {
    if (!this.readLake) return new Map();
    const reader = await this.connection.runAndReadAll(
      `SELECT "offset", "timestamp", value
       FROM read_parquet(${sqlString(bronzeGlob(this.paths.lake, "kafka_multiplex"))})
       WHERE _source = ${sqlString(kafkaSource(brokerTopic, incarnation))} AND "partition" = ${partition}
         AND "offset" BETWEEN ${from} AND ${to}`,
    );
    const stored = new Map<number, StoredMessage>();
    for (const [offset, timestamp, value] of reader.getRowsJS()) stored.set(Number(offset), { timestamp: Number(timestamp), value: String(value) });
    return stored;
  }

  /** Reads kafka rows' offsets from lake files not read before (other processes', or from before a crash). */
  async refresh(): Promise<void> {
    if (!this.readLake) return;
    // Keyed by file name: noteWritten gets the writer's path for the same file.
    const fresh = (await committedFiles(this.paths, "kafka_multiplex")).map((f) => f.file).filter((file) => !this.seen.has(path.basename(file)));
    if (fresh.length === 0) return;
    const reader = await this.connection.runAndReadAll(
      `SELECT _source, "partition", max("offset") AS high
       FROM ${parquetFilesSql(fresh, { unionByName: true })}
       WHERE _source LIKE 'kafka:%' AND "offset" IS NOT NULL
       GROUP BY ALL`,
    );
    for (const [source, partition, high] of reader.getRowsJS()) {
      const parsed = parseKafkaSource(String(source));
      if (parsed) this.raise(partitionKey(parsed.brokerTopic, Number(partition)), parsed.incarnation, Number(high));
    }
    for (const file of fresh) this.seen.add(path.basename(file));
  }

  private raise(key: PartitionKey, incarnation: number, offset: number): void {
    const all = this.durable.get(key) ?? new Map<number, number | undefined>();
    const current = all.get(incarnation);
    if (current === undefined || offset > current) all.set(incarnation, offset);
    this.durable.set(key, all);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
