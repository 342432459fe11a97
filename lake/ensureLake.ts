import { mkdir } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "../lib/duckdb.js";
import { homePaths, makePrivateDir } from "../lib/home.js";
import { BRONZE_TABLE_NAMES, type BronzeTableName } from "./bronzeTables.js";
import { commitFile } from "./durableFile.js";
import { emptyBronzeSelect } from "./bronzeTableSql.js";
import { sqlString } from "./sqlText.js";
import { pathExists } from "../lib/files.js";
import { lakeTmpName } from "./lakeTmp.js";

/** Name of the zero-row file in every bronze table folder, so `*.parquet` always matches and views stay typed. */
export const EMPTY_BATCH_FILE = "_empty.parquet";

/**
 * Creates the lake folders (bronze/<table>, _tmp, _state) and each table's `_empty.parquet` if missing.
 * Idempotent and safe to run from several processes at once (the empty file is committed by rename).
 * Pass a connection to reuse an open DuckDB; otherwise a throwaway in-memory one is used.
 */
export async function ensureLake(home: string, connection?: DuckDBConnection): Promise<void> {
  const paths = homePaths(home);
  await makePrivateDir(home);
  await mkdir(paths.lakeTmp, { recursive: true });
  await mkdir(paths.ingestState, { recursive: true });
  const missing: BronzeTableName[] = [];
  for (const table of BRONZE_TABLE_NAMES) {
    const folder = path.join(paths.bronze, table);
    await mkdir(folder, { recursive: true });
    if (!(await pathExists(path.join(folder, EMPTY_BATCH_FILE)))) missing.push(table);
  }
  if (missing.length === 0) return;
  const instance = connection ? undefined : await DuckDBInstance.create(":memory:");
  const conn = connection ?? (await instance!.connect());
  try {
    for (const table of missing) {
      const tmp = path.join(paths.lakeTmp, lakeTmpName(`${table}-${Date.now()}${EMPTY_BATCH_FILE}`));
      await conn.run(`COPY (${emptyBronzeSelect(table)}) TO ${sqlString(tmp)} (FORMAT parquet)`);
      await commitFile(tmp, path.join(paths.bronze, table, EMPTY_BATCH_FILE));
    }
  } finally {
    if (instance) {
      conn.closeSync();
      instance.closeSync();
    }
  }
}
