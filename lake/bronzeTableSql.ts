/** SQL shapes of the bronze tables: an empty typed SELECT (for `_empty.parquet`) and a staging temp table. */
import type { DuckDBConnection } from "../lib/duckdb.js";
import { bronzeColumns, type BronzeTableName } from "./bronzeTables.js";
import { sqlIdentifier } from "./sqlText.js";

/** A zero-row SELECT with exactly the lake columns and types of `table`. */
export function emptyBronzeSelect(table: BronzeTableName): string {
  const columns = bronzeColumns(table).map((c) => `CAST(NULL AS ${c.duckdbType}) AS ${sqlIdentifier(c.name)}`);
  return `SELECT ${columns.join(", ")} LIMIT 0`;
}

/** Creates (or replaces) a temp table shaped like `table`'s data + `_source`/`_source_line` columns. */
export async function createStagingTable(connection: DuckDBConnection, name: string, table: BronzeTableName): Promise<void> {
  const columns = bronzeColumns(table)
    .filter((c) => c.name !== "_ingested_at" && c.name !== "_batch")
    .map((c) => `${sqlIdentifier(c.name)} ${c.duckdbType}`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} (${columns.join(", ")})`);
}
