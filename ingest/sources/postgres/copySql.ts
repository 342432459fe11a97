import pg from "pg";
import type { SourceTable } from "./sourceTable.js";

/**
 * The columns of a COPY's CSV output, in order: the row key (text), the cursor as PostgreSQL prints it (a timestamp
 * in UTC, or an integer), then the bronze data columns. DuckDB turns the cursor into bronze's BIGINT
 * (`cursorFromText`; a text with an offset, as timestamptz prints, is read as that instant): in PostgreSQL, `extract(epoch …)` computes in numeric, a third of the COPY's time.
 */
export const KEY_FIELD = "_key";
export const CURSOR_FIELD = "_cursor";

/**
 * `COPY (SELECT …) TO STDOUT` of the rows whose cursor is at or above `lowCursor` (all rows when undefined), in
 * cursor order: batches commit in that order, so after a crash every row below the lake's highest cursor is in the
 * lake, and a restart only re-reads from there (minus the overlap). Rows of equal cursor may come in any order
 * (the cursor's index serves the order): a chunk boundary among them is covered by the dedupe. One statement: one
 * snapshot. The session's TimeZone is UTC (postgresIngest.ts), so timestamps print as UTC.
 */
export function copySql(source: SourceTable, lowCursor: bigint | undefined): string {
  const cursor = pg.escapeIdentifier(source.cursor.column);
  // Aliased, and ordered by the qualified column: the key may be the cursor itself (a bigserial id).
  const select = [`${pg.escapeIdentifier(source.key)}::text AS ${KEY_FIELD}`, `${cursor} AS ${CURSOR_FIELD}`, ...source.columns.map((c) => c.expression)];
  const from = `${pg.escapeIdentifier(source.schema)}.${pg.escapeIdentifier(source.table)} AS source`;
  const where = lowCursor === undefined ? "" : ` WHERE ${cursor} >= ${cursorLiteral(source, lowCursor)}`;
  return `COPY (SELECT ${select.join(", ")} FROM ${from}${where} ORDER BY source.${cursor}) TO STDOUT (FORMAT csv)`;
}

/** A cursor value (as bronze stores it) back in the column's type, so the WHERE can use the column's index. */
function cursorLiteral(source: SourceTable, value: bigint): string {
  if (source.cursor.kind === "integer") return value.toString();
  return `(to_timestamp(0) + ${value.toString()} * interval '1 microsecond')`;
}

/** DuckDB SQL: the COPY's cursor text as bronze's BIGINT (µs since the epoch for timestamps). */
export function cursorFromText(kind: SourceTable["cursor"]["kind"], field: string): string {
  return kind === "timestamp" ? `epoch_us(CAST(${field} AS TIMESTAMP))` : `CAST(${field} AS BIGINT)`;
}
