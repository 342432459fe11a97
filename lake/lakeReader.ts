import { readdir } from "node:fs/promises";
import path from "node:path";
import type { HomePaths } from "../lib/home.js";
import type { BronzeTableName } from "./bronzeTables.js";
import { COMMITTED_FILE } from "./commitClock.js";
import { kafkaMessageIdSql } from "./kafkaMessageId.js";
import { sqlString } from "./sqlText.js";

/**
 * The one place that knows how lake files are read (the writer side is lakeWriter.ts and commitClock.ts): which
 * files a bronze table has, and how a reader sees them. A table's folder holds committed batches
 * (`<commit micros>-<batch id>.parquet`), the zero-row `_empty.parquet` and nothing else; `lake/_tmp/` is read by no
 * reader (a writer may read its own batch there before committing it, with `parquetFilesSql`).
 */
export interface CommittedFile {
  /** Absolute path. */
  file: string;
  /** Commit time (µs since the epoch), from the name: the lake's commit order (commitClock.ts). */
  committedAt: bigint;
  batchId: string;
}

/** The committed batch files of `table`, oldest commit first. A table folder not created yet has none. */
export async function committedFiles(paths: HomePaths, table: BronzeTableName): Promise<CommittedFile[]> {
  const folder = path.join(paths.bronze, table);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: CommittedFile[] = [];
  for (const name of names) {
    const match = COMMITTED_FILE.exec(name);
    if (match) files.push({ file: path.join(folder, name), committedAt: BigInt(match[1]!), batchId: match[2]! });
  }
  return files.sort((a, b) => (a.committedAt < b.committedAt ? -1 : a.committedAt > b.committedAt ? 1 : 0));
}

/** The glob that matches every file of `table` a reader may see (committed batches and `_empty.parquet`, never `_tmp/`). */
export function bronzeGlob(lakeDir: string, table: BronzeTableName): string {
  return path.join(lakeDir, "bronze", table, "*.parquet");
}

/**
 * `read_parquet` over lake files (at least one), as one table source. `unionByName` is for readers that span files
 * written by several pulse versions and name the columns they read; `filename` adds the column of that name (the path
 * as given here), for readers that keep figures per file.
 */
export function parquetFilesSql(files: readonly string[], options: { unionByName?: boolean; filename?: boolean } = {}): string {
  if (files.length === 0) throw new Error("parquetFilesSql needs at least one file");
  const extra = `${options.unionByName ? ", union_by_name = true" : ""}${options.filename ? ", filename = true" : ""}`;
  return `read_parquet([${files.map(sqlString).join(", ")}]${extra})`;
}

/**
 * A table source over one bronze table's lake files, as readers see the table: for kafka_multiplex, with message_id
 * derived where the files leave it NULL (kafkaMessageId.ts); other tables as they are.
 */
export function bronzeFilesAsRead(table: string, parquetSource: string): string {
  return table === "kafka_multiplex" ? `(SELECT * REPLACE (${kafkaMessageIdSql()} AS message_id) FROM ${parquetSource})` : parquetSource;
}
