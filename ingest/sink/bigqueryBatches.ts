import type { BronzeTableName } from "../../lake/bronzeTables.js";
import { bronzeFilesAsRead, parquetFilesSql } from "../../lake/lakeReader.js";
import type { BatchPublisher, BronzeRow, LakeWriter } from "../../lake/lakeWriter.js";
import { UserError } from "../../lib/errors.js";
import { createBigQueryClient } from "../../runner/adapters/bigquery/bigqueryAdapter.js";
import type { BigQueryClientLike } from "../../runner/adapters/bigquery/bigqueryClient.js";
import { StorageWriter, storageEmulatorHost, type StorageRow } from "../../runner/adapters/bigquery/storageWrite.js";
import { approxBytes, checkBigQueryBronze, storageColumns, storageRows } from "./bigqueryBronzeTarget.js";

/** Rows per Storage Write part: DuckDB hands out 2,048 at a time, and fewer, larger appends suit the API better. */
const PART_ROWS = 20_000;

/**
 * Bronze batches shaped by a LakeWriter (the landing load, the PostgreSQL copy) committed to
 * `<project>.<dataset>.<table>` instead of the lake: `publish` streams the batch's temp Parquet file into one
 * PENDING stream, finalizes and commits it with BatchCommitWriteStreams, so a batch is in BigQuery completely or
 * not at all, with the lake's columns and values (`_batch` the writer's batch id; kafka_multiplex rows with the
 * `message_id` the lake derives on read). `query` reads back what is committed (the sources' progress).
 */
export class BigQueryBatches {
  readonly name: string;

  /**
   * The emulator fails a commit that overlaps another ("sqlite3: database is locked", docs/bigquery.md), so
   * there batches are published one at a time (writers still read and check in parallel); BigQuery takes
   * parallel streams.
   */
  private publishing: Promise<unknown> | undefined = storageEmulatorHost() === undefined ? undefined : Promise.resolve();

  private constructor(
    private readonly storage: StorageWriter,
    private readonly client: BigQueryClientLike,
    private readonly projectId: string,
    private readonly dataset: string,
  ) {
    this.name = `BigQuery ${projectId}.${dataset}`;
  }

  /** Checks that `tables` exist with every bronze column first (one line naming `pulse bigquery init` if not). */
  static async open(spec: { projectId: string; dataset: string }, tables: readonly BronzeTableName[]): Promise<BigQueryBatches> {
    await checkBigQueryBronze(spec, tables);
    const [storage, client] = await Promise.all([StorageWriter.open(spec.projectId), createBigQueryClient(spec.projectId)]);
    return new BigQueryBatches(storage, client, spec.projectId, spec.dataset);
  }

  readonly publish: BatchPublisher = (batch, writer) => {
    if (this.publishing === undefined) return this.publishNow(batch, writer);
    const turn = this.publishing.then(() => this.publishNow(batch, writer));
    this.publishing = turn.catch(() => undefined);
    return turn;
  };

  private async publishNow({ table, batchId, file, rows, recommit }: Parameters<BatchPublisher>[0], writer: LakeWriter): ReturnType<BatchPublisher> {
    const ingestedAt = new Date();
    // A batch an interrupted load committed holds these very rows: it stays, once (BigQuery cannot replace it
    // as the lake renames over a file). An empty batch leaves no trace in BigQuery either way, so it costs no commit.
    if (recommit || rows === 0) return { table, batchId, file: this.tableName(table), rows, ingestedAt };
    const stream = await this.storage
      .appendBatch(this.storage.tablePath(this.dataset, table), storageColumns(table), parts(writer, table, file, batchId, ingestedAt), approxBytes)
      .catch((error: unknown) => {
        // BigQuery unreachable or refusing mid-load: one line, exit 1. Whatever committed before stays and is
        // found again by the next run (its batch ids); this batch either committed whole or not at all.
        throw new UserError(`ingest --sink bigquery: writing ${rows} row(s) to ${this.tableName(table)} failed: ${error instanceof Error ? error.message : String(error)}`, 1);
      });
    return { table, batchId, file: stream, rows, ingestedAt };
  }

  /** `project.dataset.table`, for queries. */
  tableName(table: BronzeTableName): string {
    return `${this.projectId}.${this.dataset}.${table}`;
  }

  async query(sql: string, params?: Record<string, string>): Promise<Record<string, unknown>[]> {
    try {
      const [job] = await this.client.createQueryJob({ query: sql, params, useLegacySql: false });
      const [rows] = await job.getQueryResults();
      return rows;
    } catch (error) {
      throw new UserError(`ingest --sink bigquery: reading what ${this.name} holds failed: ${error instanceof Error ? error.message : String(error)}`, 1);
    }
  }

  close(): void {
    this.storage.close();
  }
}

/** The batch file's rows as Storage Write rows, PART_ROWS at a time; kafka_multiplex with the message_id readers see. */
async function* parts(writer: LakeWriter, table: BronzeTableName, file: string, batchId: string, ingestedAt: Date): AsyncIterable<StorageRow[]> {
  let part: BronzeRow[] = [];
  for await (const chunk of writer.streamRows(`SELECT * FROM ${bronzeFilesAsRead(table, parquetFilesSql([file]))}`)) {
    part.push(...(chunk as BronzeRow[]));
    if (part.length >= PART_ROWS) {
      yield storageRows(table, part, batchId, ingestedAt);
      part = [];
    }
  }
  if (part.length > 0) yield storageRows(table, part, batchId, ingestedAt);
}
