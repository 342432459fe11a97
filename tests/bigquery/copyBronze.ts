import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
 * Test set-up until the ingest service has a BigQuery sink: copies the bronze rows a home's lake committed
 * after `since` (µs) into the same tables on BigQuery with a load job, values and `_ingested_at` unchanged,
 * so both warehouses run on identical bronze. Returns the newest `_ingested_at` copied (µs).
 */
export async function copyBronze(home: string, bigquery: BigQuery, dataset: string, since: bigint): Promise<bigint> {
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-load-"));
  let newest = since;
  try {
    for (const table of BRONZE_TABLE_NAMES) {
      const columns = bronzeColumns(table);
      const list = columns.map((c) => `${asLoadJson(c.name, c.duckdbType)} as "${c.name}"`).join(", ");
      const rows = await warehouse.query(`select ${list}, epoch_us(_ingested_at) as __micros from bronze.${table} where epoch_us(_ingested_at) > ${since}`);
      if (rows.length === 0) continue;
      const file = path.join(dir, `${table}.json`);
      fs.writeFileSync(file, rows.map(({ __micros, ...row }) => {
        if (BigInt(String(__micros)) > newest) newest = BigInt(String(__micros));
        return JSON.stringify(row);
      }).join("\n") + "\n");
      await load(bigquery, dataset, table, file);
    }
  } finally {
    await warehouse.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return newest;
}

async function load(bigquery: BigQuery, dataset: string, table: BronzeTableName, file: string): Promise<void> {
  const [job] = await bigquery.dataset(dataset).table(table).load(file, { sourceFormat: "NEWLINE_DELIMITED_JSON", writeDisposition: "WRITE_APPEND" });
  const errors = job.status?.errors ?? [];
  if (errors.length > 0) throw new Error(`loading bronze.${table}: ${JSON.stringify(errors.slice(0, 3))}`);
}
