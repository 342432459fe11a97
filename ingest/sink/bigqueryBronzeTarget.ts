import { bronzeColumns, type BronzeTableName } from "../../lake/bronzeTables.js";
import { batchId } from "../../lake/batchClock.js";
import { kafkaTimestampDate } from "../../lake/kafkaTimestamp.js";
import type { BronzeRow, BronzeValue, WrittenBatch } from "../../lake/lakeWriter.js";
import { UserError } from "../../lib/errors.js";
import { createBigQueryClient } from "../../runner/adapters/bigquery/bigqueryAdapter.js";
import { StorageWriter, storageEmulatorHost, type StorageRow } from "../../runner/adapters/bigquery/storageWrite.js";
import type { BronzeTarget } from "./bronzeTarget.js";
import type { MultiplexBatch } from "./multiplexBatch.js";

/** A bronze value as the Storage Write encoder takes it for the column's BigQuery type. */
function storageValue(value: BronzeValue, bigqueryType: string): StorageRow[string] {
  if (value === undefined || value === null) return null;
  if (bigqueryType === "DATE") return value instanceof Date ? value : new Date(`${String(value)}T00:00:00Z`);
  if (bigqueryType === "BYTES") return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value as Uint8Array);
  // protobufjs encodes an int64 given as a bigint as 0 (its LongBits knows numbers, strings and Longs); a decimal
  // string keeps every digit. Offsets and Kafka timestamps arrive as bigints: sent as they were, all of them were 0.
  if (bigqueryType === "INT64") return typeof value === "bigint" ? value.toString() : Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value as StorageRow[string];
}

/** Rows bigger than this many bytes besides their strings are rare; the estimate only sizes append requests. */
const ROW_OVERHEAD_BYTES = 64;

function approxBytes(row: StorageRow): number {
  let bytes = ROW_OVERHEAD_BYTES;
  for (const value of Object.values(row)) {
    if (typeof value === "string") bytes += value.length * 3;
    else if (value instanceof Buffer) bytes += value.length;
    else bytes += 9;
  }
  return bytes;
}

/**
 * `pulse ingest --sink bigquery`: bronze rows go to `<project>.<dataset>.<table>` through the Storage Write
 * API, one committed pending stream per table per flush (runner/adapters/bigquery/storageWrite.ts). Rows carry
 * the same provenance as lake rows: `_batch` names the flush, `_ingested_at` is stamped just before the append,
 * and `message_id` is always filled (the lake derives the Kafka id on read, BigQuery reads the column as is).
 */
export class BigQueryBronzeTarget implements BronzeTarget {
  readonly lakeHoldsProgress = false;
  readonly name: string;

  private constructor(
    private readonly writer: StorageWriter,
    private readonly dataset: string,
    projectId: string,
  ) {
    this.name = `BigQuery ${projectId}.${dataset}`;
  }

  static async open(spec: { projectId: string; dataset: string }): Promise<BigQueryBronzeTarget> {
    return new BigQueryBronzeTarget(await StorageWriter.open(spec.projectId), spec.dataset, spec.projectId);
  }

  private async append(table: BronzeTableName, rows: Iterable<BronzeRow>, count: number, tag: string): Promise<WrittenBatch> {
    const columns = bronzeColumns(table);
    const ingestedAt = new Date();
    const id = batchId(BigInt(ingestedAt.getTime()) * 1000n, tag);
    const storageRows: StorageRow[] = [];
    for (const row of rows) {
      const out: StorageRow = {};
      for (const c of columns) out[c.name] = storageValue(row[c.name], c.bigqueryType);
      out._ingested_at = ingestedAt;
      out._batch = id;
      storageRows.push(out);
    }
    const tablePath = this.writer.tablePath(this.dataset, table);
    const stream = await this.writer.appendBatch(
      tablePath,
      columns.map((c) => ({ name: c.name, type: c.bigqueryType })),
      storageRows,
      approxBytes,
    );
    return { table, batchId: id, file: stream, rows: count, ingestedAt };
  }

  writeDeadLetters(rows: BronzeRow[], tag: string): Promise<WrittenBatch> {
    return this.append("dead_letters", rows, rows.length, tag);
  }

  writeMultiplex(batch: MultiplexBatch, tag: string): Promise<WrittenBatch> {
    return this.append("kafka_multiplex", multiplexRows(batch), batch.length, tag);
  }

  async close(): Promise<void> {
    this.writer.close();
  }
}

/**
 * Run before the service starts (on the main thread, so the errors reach the CLI as one line): the bronze tables
 * the sink writes must exist with every contract column, and BigQuery must be reachable with the credentials at hand.
 */
export async function checkBigQueryBronze(spec: { projectId: string; dataset: string }): Promise<void> {
  if (process.env.BIGQUERY_EMULATOR_HOST && !storageEmulatorHost()) {
    throw new UserError("ingest --sink bigquery: BIGQUERY_EMULATOR_HOST is set but BIGQUERY_STORAGE_EMULATOR_HOST is not: set it to the emulator's gRPC host:port (127.0.0.1:9060)");
  }
  const client = await createBigQueryClient(spec.projectId);
  for (const table of ["kafka_multiplex", "dead_letters"] as const) {
    const name = `${spec.projectId}.${spec.dataset}.${table}`;
    const [metadata] = await client
      .dataset(spec.dataset, { projectId: spec.projectId })
      .table(table)
      .getMetadata()
      .catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) throw new UserError(`ingest --sink bigquery: ${name} does not exist; create it with \`pulse bigquery init --gcp-project ${spec.projectId}\``);
        const where = process.env.BIGQUERY_EMULATOR_HOST ? `the emulator at ${process.env.BIGQUERY_EMULATOR_HOST}` : "BigQuery (Application Default Credentials)";
        throw new UserError(`ingest --sink bigquery: cannot read ${name} on ${where}: ${(error as Error).message}`);
      });
    const have = new Set((metadata.schema?.fields ?? []).map((f) => f.name));
    const lacking = bronzeColumns(table).filter((c) => !have.has(c.name));
    if (lacking.length > 0) throw new UserError(`ingest --sink bigquery: ${name} lacks the bronze column(s) ${lacking.map((c) => c.name).join(", ")}`);
  }
}

/** kafka_multiplex rows with the columns the lake computes on write (`date`) or on read (the Kafka `message_id`). */
function* multiplexRows(batch: MultiplexBatch): Iterable<BronzeRow> {
  for (const r of batch.rows()) {
    const timestamp = r.timestamp as bigint;
    yield {
      ...(r as Record<string, BronzeValue>),
      date: kafkaTimestampDate(timestamp),
      message_id: (r.message_id as string | null) ?? (r.partition === null ? null : `${String(r.topic)}/${String(r.partition)}/${String(r.offset)}`),
      _source_line: null,
    };
  }
}
