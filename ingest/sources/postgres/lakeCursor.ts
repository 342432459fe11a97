import { createHash } from "node:crypto";
import type { HomePaths } from "../../../lib/home.js";
import { committedFiles, parquetFilesSql } from "../../../lake/lakeReader.js";
import type { LakeWriter } from "../../../lake/lakeWriter.js";
import type { SourceTable } from "./sourceTable.js";

/**
 * The copy's progress lives in the lake itself, not in a state file beside it: every bronze row from PostgreSQL
 * carries `_source` = `postgres:<schema>.<table>#<key>` and `_source_line` = its cursor value, so the highest cursor
 * in the lake and the row versions already copied are read back from the committed batches. Committing a batch (one
 * atomic rename) is thus also committing the cursor: no crash can separate them.
 */
export function sourcePrefix(source: Pick<SourceTable, "schema" | "table">): string {
  return `postgres:${source.schema}.${source.table}#`;
}

/** The batch-id tag of a table's batches (hash of schema.table), so progress is read from its files only. */
export function tableTag(source: Pick<SourceTable, "schema" | "table">): string {
  return `pg${createHash("sha256").update(`${source.schema}.${source.table}`).digest("hex").slice(0, 10)}`;
}

/** The committed files of a bronze table that hold rows of this source table. */
async function sourceFiles(paths: HomePaths, source: SourceTable, table: "feed" | "dead_letters"): Promise<string[]> {
  const marker = `Z-${tableTag(source)}-`;
  const files = await committedFiles(paths, table === "feed" ? source.feed : "dead_letters");
  return files.filter((f) => f.batchId.includes(marker)).map((f) => f.file);
}

/** The staged table of a LakeCursor. */
export function seenTableName(source: Pick<SourceTable, "schema" | "table">): string {
  return `_pg_seen_${tableTag(source)}`;
}

export interface LakeCursor {
  /**
   * The highest cursor among the rows copied (dead letters do not count: a chunk commits them first, so a crash
   * before its rows commit must leave the cursor where it was), or undefined before the first batch.
   */
  high: bigint | undefined;
  /** Staged table (`_source`, `_source_line`) of the row versions copied at or above `low`, for the anti-join. */
  seenTable: string;
  /** Where this pass reads from: `high` minus the overlap window. */
  low: bigint | undefined;
}

/**
 * Reads the table's progress from the lake and stages the row versions inside the overlap window, which the pass
 * re-reads from PostgreSQL and must not write twice.
 */
export async function readLakeCursor(writer: LakeWriter, paths: HomePaths, source: SourceTable, overlap: bigint): Promise<LakeCursor> {
  const seenTable = seenTableName(source);
  // A tagged file holds rows of this source table only: the max reads the BIGINT column (row-group statistics
  // mostly), and the window's filter skips row groups below it.
  const rowFiles = await sourceFiles(paths, source, "feed");
  const deadFiles = await sourceFiles(paths, source, "dead_letters");
  let high: bigint | undefined;
  if (rowFiles.length > 0) {
    const highText = (await writer.readRows(`SELECT max(_source_line)::VARCHAR AS high FROM ${parquetFilesSql(rowFiles)}`))[0]?.high;
    high = typeof highText === "string" ? BigInt(highText) : undefined;
  }
  const low = high === undefined ? undefined : high - overlap;
  const seen = [rowFiles, deadFiles]
    .filter((files) => files.length > 0)
    .map((files) => `SELECT _source, _source_line FROM ${parquetFilesSql(files)}${low === undefined ? "" : ` WHERE _source_line >= ${low.toString()}`}`);
  await writer.stageQuery(seenTable, seen.length === 0 ? "SELECT NULL::VARCHAR AS _source, NULL::BIGINT AS _source_line LIMIT 0" : `SELECT DISTINCT * FROM (${seen.join(" UNION ALL ")})`);
  return { high, low, seenTable };
}
