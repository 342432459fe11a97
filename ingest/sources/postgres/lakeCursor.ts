import { createHash } from "node:crypto";
import type { HomePaths } from "../../../lib/home.js";
import { committedFiles, parquetFilesSql } from "../../../lake/lakeReader.js";
import type { LakeWriter } from "../../../lake/lakeWriter.js";
import { sqlString } from "../../../lake/sqlText.js";
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

/** The committed lake files (the bronze table's and dead letters) that hold rows of this source table. */
async function sourceFiles(paths: HomePaths, source: SourceTable): Promise<string[]> {
  const marker = `Z-${tableTag(source)}-`;
  const files = [...(await committedFiles(paths, source.feed)), ...(await committedFiles(paths, "dead_letters"))];
  return files.filter((f) => f.batchId.includes(marker)).map((f) => f.file);
}

export interface LakeCursor {
  /** The highest cursor copied, or undefined before the first batch. */
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
  const seenTable = `_pg_seen_${tableTag(source)}`;
  const files = await sourceFiles(paths, source);
  if (files.length === 0) {
    await writer.stageQuery(seenTable, "SELECT NULL::VARCHAR AS _source, NULL::BIGINT AS _source_line LIMIT 0");
    return { high: undefined, low: undefined, seenTable };
  }
  const rows = await writer.readRows(`SELECT max(_source_line)::VARCHAR AS high FROM ${parquetFilesSql(files, { unionByName: true })} WHERE starts_with(_source, ${sqlString(sourcePrefix(source))})`);
  const highText = rows[0]?.high;
  const high = typeof highText === "string" ? BigInt(highText) : undefined;
  const low = high === undefined ? undefined : high - overlap;
  await writer.stageQuery(
    seenTable,
    `SELECT DISTINCT _source, _source_line FROM ${parquetFilesSql(files, { unionByName: true })}
     WHERE starts_with(_source, ${sqlString(sourcePrefix(source))})${low === undefined ? "" : ` AND _source_line >= ${low.toString()}`}`,
  );
  return { high, low, seenTable };
}
