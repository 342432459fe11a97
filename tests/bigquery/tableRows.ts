import type { BigQuery } from "@google-cloud/bigquery";
import { openLocalWarehouse } from "../../runner/localWarehouse.js";

/**
 * `_merged_since` records the bound an incremental run read bronze after. It differs by design: BigQuery's
 * default look-back window is 600 s (includes/lookback.js), DuckDB's lake needs none. It says when rows were
 * merged, not what they hold. So do `_replaced` and `_replaced_row`: a reading the look-back re-reads competes
 * with its own stored copy, and either copy may win. `_ingested_at` and `_batch` say when and in which batch a sink
 * committed a message; each warehouse is fed by its own consumer, so they differ by design while the messages agree.
 */
const NOT_COMPARED = new Set(["_merged_since", "_replaced", "_replaced_row", "_ingested_at", "_batch"]);

export interface TableRows {
  columns: string[];
  /** Every row as canonical JSON, sorted. */
  rows: string[];
}

/** Floats agree to 12 significant digits: the engines sum in different orders (avg_bpm). */
function canonical(value: unknown): unknown {
  if (typeof value === "number" && !Number.isInteger(value)) return Number(value.toPrecision(12));
  return value ?? null;
}

function rowsOf(columns: string[], records: Record<string, unknown>[]): string[] {
  return records.map((r) => JSON.stringify(columns.map((c) => canonical(r[c])))).sort();
}

/** Timestamps as epoch microseconds and dates as text, so both engines' values print alike. */
function selectList(columns: { name: string; type: string }[], dialect: "duckdb" | "bigquery"): string {
  const q = (name: string) => (dialect === "duckdb" ? `"${name}"` : `\`${name}\``);
  return columns
    .map(({ name, type }) => {
      const t = type.toUpperCase();
      if (t.startsWith("TIMESTAMP")) return `${dialect === "duckdb" ? "epoch_us" : "UNIX_MICROS"}(${q(name)}) as ${q(name)}`;
      if (t === "BLOB" || t === "BYTES") return `${dialect === "duckdb" ? "base64" : "TO_BASE64"}(${q(name)}) as ${q(name)}`;
      if (t === "DATE") return `cast(${q(name)} as ${dialect === "duckdb" ? "varchar" : "STRING"}) as ${q(name)}`;
      return q(name);
    })
    .join(", ");
}

/** `skip`: columns not compared besides NOT_COMPARED (bronze's `_batch`, `_ingested_at`: when and how rows were written). */
export async function duckdbTableRows(home: string, tables: string[], skip: readonly string[] = []): Promise<Record<string, TableRows>> {
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  try {
    const result: Record<string, TableRows> = {};
    for (const table of tables) {
      const [schema, name] = table.split(".");
      const columns = (
        await warehouse.query(`select column_name as name, data_type as type from information_schema.columns where table_schema = '${schema}' and table_name = '${name}' order by ordinal_position`)
      )
        .map((r) => ({ name: String(r.name), type: String(r.type) }))
        .filter((c) => !NOT_COMPARED.has(c.name) && !skip.includes(c.name));
      const names = columns.map((c) => c.name);
      result[table] = { columns: names, rows: rowsOf(names, await warehouse.query(`select ${selectList(columns, "duckdb")} from ${table}`)) };
    }
    return result;
  } finally {
    await warehouse.close();
  }
}

/** `datasetSuffix` reads the copy the official CLI built with `--schema-suffix`. */
export async function bigqueryTableRows(bigquery: BigQuery, project: string, tables: string[], datasetSuffix = "", skip: readonly string[] = []): Promise<Record<string, TableRows>> {
  const result: Record<string, TableRows> = {};
  for (const table of tables) {
    const [schema, name] = table.split(".") as [string, string];
    const dataset = `${schema}${datasetSuffix}`;
    const [metadata] = await bigquery.dataset(dataset).table(name).getMetadata();
    const columns = ((metadata.schema?.fields ?? []) as { name: string; type: string }[]).filter((c) => !NOT_COMPARED.has(c.name) && !skip.includes(c.name));
    const names = columns.map((c) => c.name);
    const [records] = await bigquery.query({ query: `select ${selectList(columns, "bigquery")} from \`${project}.${dataset}.${name}\`` });
    result[table] = { columns: names, rows: rowsOf(names, records as Record<string, unknown>[]) };
  }
  return result;
}

/** The first differences table by table, or undefined when every table has the same columns and rows. */
export function tableDifferences(want: Record<string, TableRows>, got: Record<string, TableRows>): string | undefined {
  const problems: string[] = [];
  for (const [table, w] of Object.entries(want)) {
    const g = got[table];
    if (!g) {
      problems.push(`${table}: missing`);
      continue;
    }
    if (JSON.stringify(w.columns) !== JSON.stringify(g.columns)) {
      problems.push(`${table}: columns ${JSON.stringify(g.columns)}, want ${JSON.stringify(w.columns)}`);
      continue;
    }
    const gotSet = new Set(g.rows);
    const wantSet = new Set(w.rows);
    const missing = w.rows.filter((r) => !gotSet.has(r));
    const extra = g.rows.filter((r) => !wantSet.has(r));
    if (w.rows.length !== g.rows.length || missing.length > 0 || extra.length > 0) {
      problems.push(`${table}: ${g.rows.length} rows, want ${w.rows.length}; missing e.g. ${missing.slice(0, 2).join(" ")}; unexpected e.g. ${extra.slice(0, 2).join(" ")}`);
    }
  }
  return problems.length > 0 ? problems.join("\n") : undefined;
}
