import pg from "pg";
import { BRONZE_DATA_COLUMNS, type BronzeDuckDBType } from "../../../lake/bronzeTables.js";
import { UserError } from "../../../lib/errors.js";
import type { CsvFeed } from "../../landing/landingFeeds.js";

/** How the cursor column's values become the BIGINT bronze stores in `_source_line`: µs since the epoch, or the integer. */
export type CursorKind = "timestamp" | "integer";

/** A source table checked against the bronze contract: every name and SQL expression the copy needs. */
export interface SourceTable {
  schema: string;
  table: string;
  /** The bronze table its rows go to (the table's name: registered_users or gym_logins). */
  feed: CsvFeed;
  key: string;
  cursor: { column: string; kind: CursorKind };
  /** Per bronze data column, in contract order: the PostgreSQL expression that yields it. */
  columns: { name: string; expression: string }[];
}

export interface SourceTableSpec {
  schema: string;
  table: CsvFeed;
  cursorColumn: string;
  /** The row key; default: the table's single-column primary key. */
  keyColumn?: string;
}

const INTEGER_TYPES = new Set(["smallint", "integer", "bigint"]);
const TIMESTAMP_TYPES = new Set(["timestamp with time zone", "timestamp without time zone"]);
const TEXT_TYPES = new Set(["text", "character varying", "character", "macaddr", "macaddr8"]);
const NUMBER_TYPES = new Set([...INTEGER_TYPES, "real", "double precision", "numeric"]);

/**
 * The PostgreSQL expression that gives a bronze column from a source column of `pgType`, or undefined when the type
 * does not fit. Epoch-second columns may be numbers or timestamps (`extract(epoch …)`: exact to the microsecond).
 */
export function columnExpression(column: string, pgType: string, bronzeType: BronzeDuckDBType): string | undefined {
  const name = pg.escapeIdentifier(column);
  if (bronzeType === "BIGINT") return INTEGER_TYPES.has(pgType) ? `${name}::bigint` : undefined;
  if (bronzeType === "VARCHAR") return TEXT_TYPES.has(pgType) ? `${name}::text` : undefined;
  if (bronzeType === "DOUBLE") {
    if (NUMBER_TYPES.has(pgType)) return `${name}::double precision`;
    if (TIMESTAMP_TYPES.has(pgType)) return `extract(epoch from ${name})::double precision`;
  }
  return undefined;
}

/**
 * Reads the table's columns from the catalog and checks them against the bronze contract, before anything is
 * copied: a missing table or column, or a type that does not fit, is a UserError naming it.
 */
export async function describeSourceTable(client: pg.Client, spec: SourceTableSpec): Promise<SourceTable> {
  const where = `${spec.schema}.${spec.table}`;
  const result = await client.query<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
    [spec.schema, spec.table],
  );
  if (result.rows.length === 0) throw new UserError(`postgres: table ${where} does not exist (or this user cannot see it)`);
  const types = new Map(result.rows.map((r) => [r.column_name, r.data_type]));
  const typeOf = (column: string, role: string): string => {
    const type = types.get(column);
    if (type === undefined) throw new UserError(`postgres: table ${where} has no column ${column} (${role}); it has ${[...types.keys()].join(", ")}`);
    return type;
  };
  const columns = BRONZE_DATA_COLUMNS[spec.table].map((c) => {
    const type = typeOf(c.name, `bronze.${spec.table}.${c.name}`);
    const expression = columnExpression(c.name, type, c.duckdbType);
    if (expression === undefined) throw new UserError(`postgres: ${where}.${c.name} is ${type}, which does not fit bronze.${spec.table}.${c.name} (${c.duckdbType})`);
    return { name: c.name, expression };
  });
  const cursorType = typeOf(spec.cursorColumn, "the cursor column, --cursor-column");
  const kind: CursorKind | undefined = TIMESTAMP_TYPES.has(cursorType) ? "timestamp" : INTEGER_TYPES.has(cursorType) ? "integer" : undefined;
  if (kind === undefined) throw new UserError(`postgres: cursor column ${where}.${spec.cursorColumn} is ${cursorType}; it must be a timestamp or an integer that grows on every insert and update`);
  const key = spec.keyColumn ?? (await primaryKey(client, spec.schema, spec.table));
  typeOf(key, "the row key, --key-column");
  return { schema: spec.schema, table: spec.table, feed: spec.table, key, cursor: { column: spec.cursorColumn, kind }, columns };
}

async function primaryKey(client: pg.Client, schema: string, table: string): Promise<string> {
  const result = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND i.indisprimary`,
    [schema, table],
  );
  if (result.rows.length !== 1) throw new UserError(`postgres: ${schema}.${table} has no single-column primary key; name the row key with --key-column`);
  return result.rows[0]!.attname;
}
