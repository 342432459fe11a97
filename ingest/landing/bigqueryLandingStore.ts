import { mkdir } from "node:fs/promises";
import { BRONZE_TABLE_NAMES, type BronzeTableName } from "../../lake/bronzeTables.js";
import { bronzeFilesAsRead, parquetFilesSql } from "../../lake/lakeReader.js";
import { LakeWriter, type BatchPublisher, type BronzeRow } from "../../lake/lakeWriter.js";
import type { HomePaths } from "../../lib/home.js";
import { createBigQueryClient } from "../../runner/adapters/bigquery/bigqueryAdapter.js";
import type { BigQueryClientLike } from "../../runner/adapters/bigquery/bigqueryClient.js";
import { StorageWriter, storageEmulatorHost, type StorageRow } from "../../runner/adapters/bigquery/storageWrite.js";
import { approxBytes, checkBigQueryBronze, storageColumns, storageRows } from "../sink/bigqueryBronzeTarget.js";
import { landingStatePaths, type LandingStore } from "./landingStore.js";

/** Rows per Storage Write part: DuckDB hands out 2,048 at a time, and fewer, larger appends suit the API better. */
const PART_ROWS = 20_000;

/**
 * `pulse ingest --source landing --once --sink bigquery`: the landing load reads, checks and shapes each file in
 * DuckDB exactly as for the lake (the batch is written as a temp Parquet file), then publishes the batch into
 * `<project>.<dataset>.<table>` through the Storage Write API: one PENDING stream, finalized and committed with
 * BatchCommitWriteStreams, so a batch is in BigQuery completely or not at all.
 *
 * Effectively once per file, by the lake's rules (loadLanding.ts): BigQuery commits one table at a time (a
 * BatchCommitWriteStreams takes the streams of one table), so a file's record is its data batch itself, whose
 * `_batch` ends in the file's key and commits atomically with its rows. The manifest (this store's own, in the
 * home) only saves the look-up: a file without an entry whose data batch is in BigQuery is recorded, not loaded
 * again. Dead letters commit before the data batch; an interrupted load's dead-letter batch is kept, not appended
 * twice (BigQuery cannot replace it the way the lake does). Every file is a batch of its own: a group batch would
 * need its local group record to be found again, and the home may be lost where BigQuery is not.
 */
export class BigQueryLandingStore implements LandingStore {
  readonly groupsSmallFiles = false;
  readonly name: string;
  readonly paths: HomePaths;

  private constructor(
    private readonly home: string,
    private readonly storage: StorageWriter,
    private readonly client: BigQueryClientLike,
    private readonly projectId: string,
    private readonly dataset: string,
  ) {
    this.name = `BigQuery ${projectId}.${dataset}`;
    this.paths = landingStatePaths(home, `bigquery-${projectId}.${dataset}`);
  }

  static async open(home: string, spec: { projectId: string; dataset: string }): Promise<BigQueryLandingStore> {
    await checkBigQueryBronze(spec, BRONZE_TABLE_NAMES);
    const [storage, client] = await Promise.all([StorageWriter.open(spec.projectId), createBigQueryClient(spec.projectId)]);
    const store = new BigQueryLandingStore(home, storage, client, spec.projectId, spec.dataset);
    await mkdir(store.paths.ingestState, { recursive: true });
    return store;
  }

  openWriter(): Promise<LakeWriter> {
    return LakeWriter.open(this.home, { threads: 1, publish: this.publish });
  }

  /**
   * The emulator fails a commit that overlaps another ("sqlite3: database is locked", docs/bigquery.md), so
   * there the lanes publish one batch at a time (they still read and check files in parallel); BigQuery takes
   * parallel streams.
   */
  private publishing: Promise<unknown> | undefined = storageEmulatorHost() === undefined ? undefined : Promise.resolve();

  private readonly publish: BatchPublisher = (batch, writer) => {
    if (this.publishing === undefined) return this.publishNow(batch, writer);
    const turn = this.publishing.then(() => this.publishNow(batch, writer));
    this.publishing = turn.catch(() => undefined);
    return turn;
  };

  private async publishNow({ table, batchId, file, rows, recommit }: Parameters<BatchPublisher>[0], writer: LakeWriter): ReturnType<BatchPublisher> {
    const ingestedAt = new Date();
    // The batch an interrupted load committed (its dead letters) holds these very rows: it stays, once. An empty
    // batch leaves no trace in BigQuery either way (the lake commits an empty file), so it costs no commit.
    if (recommit || rows === 0) return { table, batchId, file: this.tableName(table), rows, ingestedAt };
    const stream = await this.storage.appendBatch(this.storage.tablePath(this.dataset, table), storageColumns(table), parts(writer, table, file, batchId, ingestedAt), approxBytes);
    return { table, batchId, file: stream, rows, ingestedAt };
  }

  async committedBatchIds(table: BronzeTableName): Promise<string[]> {
    const rows = await this.query(`SELECT DISTINCT _batch FROM \`${this.tableName(table)}\` WHERE STARTS_WITH(_source, 'landing:')`);
    return rows.map((r) => String(r._batch));
  }

  async countCommittedRows(_writer: LakeWriter, table: BronzeTableName, batch: string, source: string): Promise<number> {
    const rows = await this.query(`SELECT count(*) AS n FROM \`${this.tableName(table)}\` WHERE _batch = @batch AND _source = @source`, { batch, source });
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    this.storage.close();
  }

  private tableName(table: BronzeTableName): string {
    return `${this.projectId}.${this.dataset}.${table}`;
  }

  private async query(sql: string, params?: Record<string, string>): Promise<Record<string, unknown>[]> {
    const [job] = await this.client.createQueryJob({ query: sql, params, useLegacySql: false });
    const [rows] = await job.getQueryResults();
    return rows;
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
