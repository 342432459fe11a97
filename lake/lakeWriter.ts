import { rm } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance, dateValue, timestampValue, type DuckDBAppender, type DuckDBConnection } from "../lib/duckdb.js";
import { homePaths, type HomePaths } from "../lib/home.js";
import { BatchClock, batchId as makeBatchId } from "./batchClock.js";
import { BRONZE_DATA_COLUMNS, bronzeColumns, type BronzeColumn, type BronzeTableName } from "./bronzeTables.js";
import { commitBatchFile } from "./commitClock.js";
import { fsyncFile } from "./durableFile.js";
import { stagingColumnsSql } from "./bronzeTableSql.js";
import { ensureLake } from "./ensureLake.js";
import { lakeTmpName, removeOrphanedTmp } from "./lakeTmp.js";
import { sqlIdentifier, sqlString, sqlTimestampMicros } from "./sqlText.js";

/**
 * How batches are written. No dictionary encoding: bronze's wide columns (`value`, keys) are nearly all distinct,
 * and trying a dictionary for each column was a tenth of a landing load's CPU; without it files are 4% larger
 * and read as fast.
 */
const LAKE_PARQUET_OPTIONS = "FORMAT parquet, DICTIONARY_SIZE_LIMIT 1";

/** A value the row path accepts; DATE takes a Date (UTC day) or 'YYYY-MM-DD', BLOB a Uint8Array or UTF-8 string. */
export type BronzeValue = string | number | bigint | Date | Uint8Array | null | undefined;

/** One row for `writeRows`: the table's data columns plus `_source` and `_source_line` (missing keys are NULL). */
export type BronzeRow = Readonly<Record<string, BronzeValue>>;

export interface WrittenBatch {
  table: BronzeTableName;
  batchId: string;
  /** Final path: `<lake>/bronze/<table>/<commit micros>-<batchId>.parquet` (see commitClock.ts). */
  file: string;
  rows: number;
  /** The lake commit time: what `bronze.<table>._ingested_at` shows for these rows in the warehouse. */
  ingestedAt: Date;
}

export interface BatchOptions {
  /** Reuse this exact id (the file is replaced atomically): how a loader re-commits a batch after a crash. */
  batchId?: string;
  /** Suffix for a new id when the batch has a natural identity (e.g. a landing file key). */
  tag?: string;
  /**
   * Runs once the batch file is written (at `file`, readable as Parquet), before it is committed: throwing
   * discards the batch.
   */
  beforeCommit?: (batch: { rows: number; file: string; batchId: string }) => Promise<void> | void;
}

/**
 * Commits a written batch file somewhere other than the lake (the landing load into BigQuery): reads `file`
 * (Parquet, on `writer`'s connection), makes its rows durable there and resolves then. `recommit`: the batch id was
 * given (BatchOptions.batchId), i.e. a batch an interrupted load committed is committed again.
 */
export type BatchPublisher = (batch: { table: BronzeTableName; batchId: string; file: string; rows: number; recommit: boolean }, writer: LakeWriter) => Promise<WrittenBatch>;

/**
 * Writes bronze batches into the lake without touching the warehouse: each batch is one Parquet file
 * written under `lake/_tmp/`, fsynced, then committed into `lake/bronze/<table>/` in the lake-wide commit order (commitClock.ts).
 * Readers see a batch completely or not at all. Uses its own in-memory DuckDB; one writer per process
 * (or per stream) is enough, and its calls must not overlap (await each one).
 */
export class LakeWriter {
  /** Temp tables created by `stageAppended`, which keeps them and only empties them between batches. */
  private readonly stagingReady = new Set<string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly paths: HomePaths,
    private readonly spillDir: string,
    private readonly clock: BatchClock,
    private readonly publish?: BatchPublisher,
    private readonly parent?: LakeWriter,
  ) {}

  /** `publish`: batches go there instead of into the lake (the lake then only holds the writer's temp files). */
  static async open(home: string, options: { threads?: number; memoryLimit?: string; publish?: BatchPublisher } = {}): Promise<LakeWriter> {
    const paths = homePaths(home);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const spillDir = path.join(paths.lakeTmp, lakeTmpName(`spill-${Date.now().toString(36)}`));
    // Big files can need more memory than the box has; spill under the lake, not into the caller's cwd.
    await connection.run(`SET temp_directory = ${sqlString(spillDir)}`);
    await connection.run("SET preserve_insertion_order = false");
    if (options.threads !== undefined) await connection.run(`SET threads = ${Math.max(1, Math.floor(options.threads))}`);
    if (options.memoryLimit !== undefined) await connection.run(`SET memory_limit = ${sqlString(options.memoryLimit)}`);
    await ensureLake(home, connection);
    await removeOrphanedTmp(paths.lakeTmp);
    return new LakeWriter(instance, connection, paths, spillDir, new BatchClock(), options.publish);
  }

  /**
   * A second writer on the same DuckDB instance (its own connection and temp tables, the same batch clock), so
   * two batches can be prepared at once: a single file's scan is partly single-threaded. Close forks first.
   */
  async fork(): Promise<LakeWriter> {
    return new LakeWriter(this.instance, await this.instance.connect(), this.paths, this.spillDir, this.clock, this.publish, this);
  }

  /**
   * Commits the rows of `selectSql` as one batch of `table`. The query must produce every data column of the
   * table plus `_source` and `_source_line` (by name, any order, castable to the contract types); the writer
   * adds `_ingested_at` and `_batch`. An empty result still commits a zero-row file.
   */
  async writeQuery(table: BronzeTableName, selectSql: string, options: BatchOptions = {}): Promise<WrittenBatch> {
    const micros = this.clock.nextMicros();
    const id = options.batchId ?? makeBatchId(micros, options.tag);
    const columns = bronzeColumns(table).map((c) => `${castExpression(c, micros, id)} AS ${sqlIdentifier(c.name)}`);
    const tmp = path.join(this.paths.lakeTmp, lakeTmpName(`${id}-${table}.parquet`));
    try {
      const result = await this.connection.runAndReadAll(`COPY (SELECT ${columns.join(", ")} FROM (${selectSql}) AS batch_source) TO ${sqlString(tmp)} (${LAKE_PARQUET_OPTIONS})`);
      const rows = Number(result.getRowsJS()[0]?.[0] ?? 0);
      await options.beforeCommit?.({ rows, file: tmp, batchId: id });
      if (this.publish) {
        const published = await this.publish({ table, batchId: id, file: tmp, rows, recommit: options.batchId !== undefined }, this);
        await rm(tmp, { force: true });
        return published;
      }
      await fsyncFile(tmp);
      const { file, committedAt } = await commitBatchFile(this.paths, tmp, table, id);
      return { table, batchId: id, file, rows, ingestedAt: new Date(Number(committedAt / 1000n)) };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /**
   * Commits JS row objects as one batch of `table` (the stream path: Kafka / Pub/Sub batches). Rows go through
   * a DuckDB appender into a staging temp table, then one COPY; tens of thousands of rows take milliseconds.
   */
  async writeRows(table: BronzeTableName, rows: readonly BronzeRow[], options: BatchOptions = {}): Promise<WrittenBatch> {
    const staging = `_staging_${table}`;
    const columns = [...BRONZE_DATA_COLUMNS[table], ...bronzeColumns(table).filter((c) => c.name === "_source" || c.name === "_source_line")];
    const first = rows[0];
    if (first !== undefined) {
      const known = new Set(columns.map((c) => c.name));
      const unknown = Object.keys(first).filter((key) => !known.has(key));
      if (unknown.length > 0) throw new Error(`writeRows(${table}): unknown column(s) ${unknown.join(", ")}`);
    }
    await this.stageAppended(staging, stagingColumnsSql(table), (appender) => {
      rows.forEach((row, index) => {
        for (const c of columns) appendValue(appender, c, row[c.name], table, index);
        appender.endRow();
      });
    });
    return this.writeQuery(table, `SELECT * FROM ${sqlIdentifier(staging)}`, options);
  }

  /**
   * The staging API: temp tables on this writer's own connection, filled here and then committed by a `writeQuery`
   * over them. `stageAppended` fills temp table `name` (columns as DDL, created on first use, emptied on each later
   * call) through a DuckDB appender: the fast way in for rows held in JS.
   */
  async stageAppended(name: string, columnsDdl: string, append: (appender: DuckDBAppender) => void): Promise<void> {
    if (!this.stagingReady.has(name)) {
      await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} (${columnsDdl})`);
      this.stagingReady.add(name);
    } else await this.connection.run(`DELETE FROM ${sqlIdentifier(name)}`);
    const appender = await this.connection.createAppender(name);
    try {
      append(appender);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Stores the rows of `selectSql` as temp table `name` (replacing it); `dropStaged` frees it. */
  async stageQuery(name: string, selectSql: string): Promise<void> {
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} AS ${selectSql}`);
  }

  async dropStaged(name: string): Promise<void> {
    this.stagingReady.delete(name);
    await this.connection.run(`DROP TABLE IF EXISTS ${sqlIdentifier(name)}`);
  }

  /** A read on this writer's connection: its staged tables, input files, a batch file before it commits. */
  async readRows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** As readRows, a chunk of rows at a time (DuckDB's vectors of 2,048): for results too big to hold at once. */
  async *streamRows(sql: string): AsyncIterable<Record<string, unknown>[]> {
    yield* (await this.connection.stream(sql)).yieldRowObjectJs();
  }

  /**
   * Only once none of this writer's queries runs: a connection closed under its running query deadlocked the DuckDB
   * thread running it, and Node's exit, which joins that thread, then hung (gdb; loadLanding.ts settles its lanes).
   */
  async close(): Promise<void> {
    this.connection.closeSync();
    if (this.parent) return;
    this.instance.closeSync();
    await rm(this.spillDir, { recursive: true, force: true });
  }
}

function castExpression(column: BronzeColumn, micros: bigint, id: string): string {
  if (column.name === "_ingested_at") return sqlTimestampMicros(micros);
  if (column.name === "_batch") return sqlString(id);
  return `CAST(${sqlIdentifier(column.name)} AS ${column.duckdbType})`;
}

const MILLIS_PER_DAY = 86_400_000;

function appendValue(appender: DuckDBAppender, column: BronzeColumn, value: BronzeValue, table: string, index: number): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  const wrong = (): Error => new TypeError(`writeRows(${table}): row ${index} column ${column.name} (${column.duckdbType}) got ${typeof value} ${String(value).slice(0, 40)}`);
  switch (column.duckdbType) {
    case "VARCHAR":
      if (typeof value !== "string") throw wrong();
      appender.appendVarchar(value);
      return;
    case "BIGINT":
      if (typeof value === "bigint") appender.appendBigInt(value);
      else if (typeof value === "number" && Number.isSafeInteger(value)) appender.appendBigInt(BigInt(value));
      else throw wrong();
      return;
    case "INTEGER":
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrong();
      appender.appendInteger(value);
      return;
    case "DOUBLE":
      if (typeof value !== "number") throw wrong();
      appender.appendDouble(value);
      return;
    case "DATE": {
      const millis = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
      if (Number.isNaN(millis)) throw wrong();
      appender.appendDate(dateValue(Math.floor(millis / MILLIS_PER_DAY)));
      return;
    }
    case "TIMESTAMP":
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw wrong();
      appender.appendTimestamp(timestampValue(BigInt(value.getTime()) * 1000n));
      return;
    case "BLOB":
      if (value instanceof Uint8Array) appender.appendBlob(value);
      else if (typeof value === "string") appender.appendBlob(Buffer.from(value, "utf8"));
      else throw wrong();
      return;
  }
}
