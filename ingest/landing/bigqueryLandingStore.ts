import { mkdir } from "node:fs/promises";
import { BRONZE_TABLE_NAMES, type BronzeTableName } from "../../lake/bronzeTables.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import type { HomePaths } from "../../lib/home.js";
import { BigQueryBatches } from "../sink/bigqueryBatches.js";
import { landingStatePaths, type LandingStore } from "./landingStore.js";

/**
 * `pulse ingest --source landing --once --sink bigquery`: the landing load reads, checks and shapes each file in
 * DuckDB exactly as for the lake, then each batch is committed to BigQuery (ingest/sink/bigqueryBatches.ts).
 *
 * Effectively once per file, by the lake's rules (loadLanding.ts): BigQuery commits one table at a time (a
 * BatchCommitWriteStreams takes the streams of one table), so a file's record is its data batch itself, whose
 * `_batch` ends in the file's key and commits atomically with its rows. The manifest (this store's own, in the
 * home) only saves the look-up: a file without an entry whose data batch is in BigQuery is recorded, not loaded
 * again. Dead letters commit before the data batch; an interrupted load's dead-letter batch is kept, not appended
 * twice. Every file is a batch of its own: a group batch would need its local group record to be found again,
 * and the home may be lost where BigQuery is not.
 */
export class BigQueryLandingStore implements LandingStore {
  readonly groupsFiles = false;
  readonly name: string;
  readonly paths: HomePaths;

  private constructor(
    private readonly home: string,
    private readonly batches: BigQueryBatches,
    spec: { projectId: string; dataset: string },
  ) {
    this.name = batches.name;
    this.paths = landingStatePaths(home, `bigquery-${spec.projectId}.${spec.dataset}`);
  }

  static async open(home: string, spec: { projectId: string; dataset: string }): Promise<BigQueryLandingStore> {
    const store = new BigQueryLandingStore(home, await BigQueryBatches.open(spec, BRONZE_TABLE_NAMES), spec);
    await mkdir(store.paths.ingestState, { recursive: true });
    return store;
  }

  openWriter(): Promise<LakeWriter> {
    return LakeWriter.open(this.home, { threads: 1, publish: this.batches.publish });
  }

  async committedBatchIds(table: BronzeTableName): Promise<string[]> {
    const rows = await this.batches.query(`SELECT DISTINCT _batch FROM \`${this.batches.tableName(table)}\` WHERE STARTS_WITH(_source, 'landing:')`);
    return rows.map((r) => String(r._batch));
  }

  async countCommittedRows(_writer: LakeWriter, table: BronzeTableName, batch: string, source: string): Promise<number> {
    const rows = await this.batches.query(`SELECT count(*) AS n FROM \`${this.batches.tableName(table)}\` WHERE _batch = @batch AND _source = @source`, { batch, source });
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    this.batches.close();
  }
}
