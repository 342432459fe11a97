import type { BigQuery } from "@google-cloud/bigquery";
import { BRONZE_TABLE_NAMES, bronzeColumns, type BronzeTableName } from "../../lake/bronzeTables.js";
import { openLocalWarehouse } from "../../runner/localWarehouse.js";

/** A DuckDB expression giving the column's value as BigQuery's JSON load format takes it. */
function asLoadJson(name: string, duckdbType: string): string {
  const column = `"${name}"`;
  if (duckdbType === "TIMESTAMP") return `strftime(${column}, '%Y-%m-%d %H:%M:%S.%f')`;
  if (duckdbType === "DATE") return `cast(${column} as varchar)`;
  if (duckdbType === "BLOB") return `base64(${column})`;
  return column;
}

/**
 * Test set-up for the batch-file feeds, which the landing loader writes only into the lake: copies the bronze rows
 * of `tables` a home's lake committed after `since` (µs) into the same tables on BigQuery, values and `_ingested_at` unchanged,
 * so both warehouses run on identical bronze. Returns the newest `_ingested_at` copied (µs).
 */
export async function copyBronze(home: string, bigquery: BigQuery, dataset: string, since: bigint, tables: readonly BronzeTableName[] = BRONZE_TABLE_NAMES): Promise<bigint> {
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  let newest = since;
  try {
    for (const table of tables) {
      const columns = bronzeColumns(table);
      const list = columns.map((c) => `${asLoadJson(c.name, c.duckdbType)} as "${c.name}"`).join(", ");
      const rows = await warehouse.query(`select ${list}, epoch_us(_ingested_at) as __micros from bronze.${table} where epoch_us(_ingested_at) > ${since}`);
      if (rows.length === 0) continue;
      await load(
        bigquery,
        dataset,
        table,
        rows.map(({ __micros, ...row }) => {
          if (BigInt(String(__micros)) > newest) newest = BigInt(String(__micros));
          return row;
        }),
      );
    }
  } finally {
    await warehouse.close();
  }
  return newest;
}

/**
 * Streaming inserts (tabledata.insertAll) in chunks: the emulator's load-job upload never answered here
 * (docs/bigquery.md), and insertAll takes the same JSON values.
 */
async function load(bigquery: BigQuery, dataset: string, table: BronzeTableName, rows: Record<string, unknown>[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 5_000) {
    await bigquery
      .dataset(dataset)
      .table(table)
      .insert(rows.slice(start, start + 5_000), { raw: false, skipInvalidRows: false, ignoreUnknownValues: false });
  }
}
