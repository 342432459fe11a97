import { DuckDBInstance } from "../lib/duckdb.js";

/** A table as a statement names it. */
export interface TableReference {
  catalog: string;
  schema: string;
  name: string;
}

/** What the SELECT statements of a SQL string read, from DuckDB's own parse tree. */
export interface StatementReads {
  /** Every base-table reference, CTE names included (`schema` empty); see `isCte`. */
  tables: TableReference[];
  /** Names of the CTEs the statements define, at any depth. */
  ctes: Set<string>;
  /** Table functions called in FROM (read_parquet, query_table, ...). */
  tableFunctions: string[];
  /** Column names referenced (the last part of each column reference, lower case). */
  columns: Set<string>;
  /** Whether a `*` or `COLUMNS(...)` selects columns without naming them. */
  star: boolean;
}

/** The SQL is not only SELECT statements (DuckDB serializes nothing else), or does not parse. */
export interface NotSelect {
  error: string;
  /** DuckDB parsed it, but it holds a statement other than SELECT. */
  notSelect: boolean;
}

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> => typeof value === "object" && value !== null;

/**
 * DuckDB's `json_serialize_sql`: the parser pulse query itself uses, run on a throw-away in-memory database (a few
 * milliseconds), so it answers the same wherever the query will run (directly, or by a run's read server). No
 * pattern on the text: a table in a subquery, a CTE, a join or an EXISTS is found because the tree holds it.
 */
export async function statementReads(sql: string): Promise<StatementReads | NotSelect> {
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll("select json_serialize_sql($1::varchar) as tree", [sql]);
    const tree = JSON.parse(String(reader.getRowObjects()[0]!.tree)) as { error: boolean; error_type?: string; error_message?: string; statements?: Json[] };
    if (tree.error) return { error: tree.error_message ?? "the SQL could not be parsed", notSelect: tree.error_type === "not implemented" };
    const reads: StatementReads = { tables: [], ctes: new Set(), tableFunctions: [], columns: new Set(), star: false };
    walk(tree.statements, reads);
    connection.closeSync();
    return reads;
  } finally {
    instance.closeSync();
  }
}

function walk(node: Json, reads: StatementReads): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, reads);
    return;
  }
  if (!isObject(node)) return;
  if (node.type === "BASE_TABLE" && typeof node.table_name === "string") {
    reads.tables.push({ catalog: String(node.catalog_name ?? ""), schema: String(node.schema_name ?? ""), name: node.table_name });
  }
  if (node.type === "TABLE_FUNCTION" && isObject(node.function)) reads.tableFunctions.push(String(node.function.function_name ?? "(table function)"));
  if (node.class === "COLUMN_REF" && Array.isArray(node.column_names)) reads.columns.add(String(node.column_names.at(-1)).toLowerCase());
  if (node.class === "STAR") reads.star = true;
  if (isObject(node.cte_map) && Array.isArray(node.cte_map.map)) {
    for (const entry of node.cte_map.map) if (isObject(entry) && typeof entry.key === "string") reads.ctes.add(entry.key.toLowerCase());
  }
  for (const value of Object.values(node)) if (typeof value === "object") walk(value, reads);
}

/** A reference without a schema that names a CTE of the statement. */
export function isCte(reads: StatementReads, table: TableReference): boolean {
  return table.catalog === "" && table.schema === "" && reads.ctes.has(table.name.toLowerCase());
}
