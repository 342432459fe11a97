import { readdir } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "../../../lib/duckdb.js";
import { homePaths } from "../../../lib/home.js";
import { EMPTY_BATCH_FILE } from "../../../lake/ensureLake.js";
import { sqlString } from "../../../lake/sqlText.js";

/** `<topic as on the broker>/<partition>`. */
export type PartitionKey = string;
export const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

/**
 * The highest Kafka offset per partition that is durable in `bronze.kafka_multiplex`, read back from the
 * lake's own files. This, not the broker's committed offset, is the truth about progress: a process killed
 * after a file's rename and before its offset commit must not write those records again.
 * Files are read once each; later refreshes only look at files that appeared since.
 */
export class LakeOffsets {
  private readonly durable = new Map<PartitionKey, number>();
  private readonly seen = new Set<string>();

  private constructor(
    private readonly folder: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(home: string): Promise<LakeOffsets> {
    // A side reader: keep it small next to the writer's DuckDB in the same process.
    const instance = await DuckDBInstance.create(":memory:", { threads: "1", memory_limit: "64MB" });
    const connection = await instance.connect();
    const offsets = new LakeOffsets(path.join(homePaths(home).bronze, "kafka_multiplex"), instance, connection);
    await offsets.refresh();
    return offsets;
  }

  get(key: PartitionKey): number | undefined {
    return this.durable.get(key);
  }

  /** Records what this process just committed to the lake, so the next refresh need not read it back. */
  noteWritten(file: string, highs: Iterable<[PartitionKey, number]>): void {
    this.seen.add(path.basename(file));
    for (const [key, offset] of highs) this.raise(key, offset);
  }

  /** Reads kafka rows' offsets from lake files not read before (other processes', or from before a crash). */
  async refresh(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    const fresh = names.filter((name) => name.endsWith(".parquet") && name !== EMPTY_BATCH_FILE && !this.seen.has(name));
    if (fresh.length === 0) return;
    const files = fresh.map((name) => sqlString(path.join(this.folder, name))).join(", ");
    const reader = await this.connection.runAndReadAll(
      `SELECT substr(_source, 7) AS topic, "partition", max("offset") AS high
       FROM read_parquet([${files}], union_by_name = true)
       WHERE _source LIKE 'kafka:%' AND "offset" IS NOT NULL
       GROUP BY ALL`,
    );
    for (const [topic, partition, high] of reader.getRowsJS()) {
      this.raise(partitionKey(String(topic), Number(partition)), Number(high));
    }
    for (const name of fresh) this.seen.add(name);
  }

  private raise(key: PartitionKey, offset: number): void {
    const current = this.durable.get(key);
    if (current === undefined || offset > current) this.durable.set(key, offset);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
