/** SQL shapes of the bronze tables: an empty typed SELECT (for `_empty.parquet`) and a staging table's columns. */
import { bronzeColumns, type BronzeTableName } from "./bronzeTables.js";
import { sqlIdentifier } from "./sqlText.js";

/** A zero-row SELECT with exactly the lake columns and types of `table`. */
export function emptyBronzeSelect(table: BronzeTableName): string {
  const columns = bronzeColumns(table).map((c) => `CAST(NULL AS ${c.duckdbType}) AS ${sqlIdentifier(c.name)}`);
  return `SELECT ${columns.join(", ")} LIMIT 0`;
}

/** Column DDL of a staging table for `table`: its data columns plus `_source`/`_source_line` (the writer adds the rest). */
export function stagingColumnsSql(table: BronzeTableName): string {
  return bronzeColumns(table)
    .filter((c) => c.name !== "_ingested_at" && c.name !== "_batch")
    .map((c) => `${sqlIdentifier(c.name)} ${c.duckdbType}`)
    .join(", ");
}
