import { BIGINT, INTEGER, VARCHAR, DuckDBDataChunk, type DuckDBValue } from "../../lib/duckdb.js";
import type { LakeWriter, WrittenBatch } from "../../lake/lakeWriter.js";
import { kafkaTimestampDateSql } from "../../lake/kafkaTimestamp.js";
import { sqlIdentifier } from "../../lake/sqlText.js";

/** One stream message bound for `bronze.kafka_multiplex` (Kafka coordinates are null for Pub/Sub). */
export interface MultiplexRecord {
  key: string | null;
  value: string;
  topic: string;
  partition: number | null;
  offset: number | null;
  timestamp: number;
  /** The Pub/Sub message id; null for Kafka, whose id readers derive from the coordinates. */
  messageId: string | null;
  source: string;
}

const COLUMNS = [
  { name: "key", type: VARCHAR },
  { name: "value", type: VARCHAR },
  { name: "topic", type: VARCHAR },
  { name: "partition", type: INTEGER },
  { name: "offset", type: BIGINT },
  { name: "timestamp", type: BIGINT },
  { name: "message_id", type: VARCHAR },
  { name: "_source", type: VARCHAR },
] as const;

/**
 * A run of consecutive Kafka records of one partition whose payloads passed the bulk check
 * (ingest/batchValidate.ts), held as joined text rather than row by row: offsets `firstOffset`… in steps of one,
 * keys and values joined by newlines (neither contains one), timestamps joined by commas. DuckDB splits it back
 * into rows when the batch is written. Per record this keeps no JS object or string alive and costs no appender
 * call: row by row, those were the ingest's largest costs after kafkajs itself (GC a sixth of its CPU).
 */
export interface RecordRun {
  topic: string;
  partition: number;
  firstOffset: number;
  count: number;
  /** Null when every record of the run has a null key. */
  keys: string | null;
  values: string;
  timestamps: string;
  source: string;
}

const STAGING = "_stream_kafka_multiplex";
const RUNS_STAGING = "_stream_kafka_runs";
const RUN_COLUMNS = `topic VARCHAR, "partition" INTEGER, first_offset BIGINT, count INTEGER, keys VARCHAR, "values" VARCHAR, timestamps VARCHAR, _source VARCHAR`;
/** The rows of the staged runs, in the staged rows' columns. Several unnests in one SELECT are zipped by position. */
const RUN_ROWS_SQL = `SELECT k AS "key", v AS "value", topic, "partition", o AS "offset", CAST(t AS BIGINT) AS "timestamp", CAST(NULL AS VARCHAR) AS message_id, _source
  FROM (
    SELECT topic, "partition", _source,
      unnest(coalesce(string_split(keys, chr(10)), list_resize([NULL::VARCHAR], count))) AS k,
      unnest(string_split("values", chr(10))) AS v,
      unnest(range(first_offset, first_offset + count)) AS o,
      unnest(string_split(timestamps, ',')) AS t
    FROM ${RUNS_STAGING}
  )`;
/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * A batch of multiplex rows kept column by column. The lake writer's row path appends value by value
 * (about 15 µs a row); handing DuckDB whole columns is ten times faster, which is what lets one Node
 * process keep up with a 50,000 msg/s heart-rate stream. The lake writer still writes the file.
 */
export class MultiplexBatch {
  private readonly columns: DuckDBValue[][] = COLUMNS.map(() => []);
  private readonly runs: RecordRun[] = [];
  private runRows = 0;

  get length(): number {
    return this.columns[0]!.length + this.runRows;
  }

  pushRun(run: RecordRun): void {
    this.runs.push(run);
    this.runRows += run.count;
  }

  push(r: MultiplexRecord): void {
    const c = this.columns;
    c[0]!.push(r.key);
    c[1]!.push(r.value);
    c[2]!.push(r.topic);
    c[3]!.push(r.partition);
    c[4]!.push(r.offset === null ? null : BigInt(r.offset));
    c[5]!.push(BigInt(Math.trunc(r.timestamp)));
    c[6]!.push(r.messageId);
    c[7]!.push(r.source);
  }

  /**
   * The rows, column name → value (offset and timestamp as bigint), for a sink that does not write through DuckDB;
   * runs are split here as RUN_ROWS_SQL splits them for the lake.
   */
  *rows(): Iterable<Record<(typeof COLUMNS)[number]["name"], DuckDBValue>> {
    for (let i = 0; i < this.columns[0]!.length; i += 1) {
      yield Object.fromEntries(COLUMNS.map((c, j) => [c.name, this.columns[j]![i]!])) as Record<(typeof COLUMNS)[number]["name"], DuckDBValue>;
    }
    for (const run of this.runs) {
      const keys = run.keys === null ? null : run.keys.split("\n");
      const values = run.values.split("\n");
      const timestamps = run.timestamps.split(",");
      for (let i = 0; i < run.count; i += 1) {
        yield {
          key: keys === null ? null : keys[i]!,
          value: values[i]!,
          topic: run.topic,
          partition: run.partition,
          offset: BigInt(run.firstOffset + i),
          timestamp: BigInt(timestamps[i]!),
          message_id: null,
          _source: run.source,
        };
      }
    }
  }

  /** Stages the rows and runs in the writer's DuckDB and commits them as one kafka_multiplex lake file. */
  async write(writer: LakeWriter, tag: string): Promise<WrittenBatch> {
    const names = COLUMNS.map((c) => sqlIdentifier(c.name)).join(", ");
    const parts: string[] = [];
    if (this.columns[0]!.length > 0) {
      const ddl = COLUMNS.map((c) => `${sqlIdentifier(c.name)} ${c.type.toString()}`).join(", ");
      await writer.stageAppended(STAGING, ddl, (appender) => {
        const types = COLUMNS.map((c) => c.type);
        for (let start = 0; start < this.columns[0]!.length; start += CHUNK_ROWS) {
          const end = Math.min(this.columns[0]!.length, start + CHUNK_ROWS);
          const chunk = DuckDBDataChunk.create(types, end - start);
          chunk.setColumns(this.columns.map((column) => column.slice(start, end)));
          appender.appendDataChunk(chunk);
        }
      });
      parts.push(`SELECT ${names} FROM ${STAGING}`);
    }
    if (this.runs.length > 0) {
      await writer.stageAppended(RUNS_STAGING, RUN_COLUMNS, (appender) => {
        for (const run of this.runs) {
          appender.appendVarchar(run.topic);
          appender.appendInteger(run.partition);
          appender.appendBigInt(BigInt(run.firstOffset));
          appender.appendInteger(run.count);
          if (run.keys === null) appender.appendNull();
          else appender.appendVarchar(run.keys);
          appender.appendVarchar(run.values);
          appender.appendVarchar(run.timestamps);
          appender.appendVarchar(run.source);
          appender.endRow();
        }
      });
      parts.push(`SELECT ${names} FROM (${RUN_ROWS_SQL})`);
    }
    return writer.writeQuery("kafka_multiplex", `SELECT ${names}, ${kafkaTimestampDateSql('"timestamp"')} AS "date", CAST(NULL AS BIGINT) AS _source_line FROM (${parts.join(" UNION ALL ")})`, {
      tag,
    });
  }
}
