import pg from "pg";
import { cursorExpression, type SourceTable } from "./sourceTable.js";

/** The columns of a COPY's CSV output, in order: the row key (text), the cursor (BIGINT), then the bronze data columns. */
export const KEY_FIELD = "_key";
export const CURSOR_FIELD = "_cursor";

/**
 * `COPY (SELECT …) TO STDOUT` of the rows whose cursor is at or above `lowCursor` (all rows when undefined), in
 * cursor order: batches commit in that order, so after a crash every row below the lake's highest cursor is in the
 * lake, and a restart only re-reads from there (minus the overlap). One statement: one snapshot.
 */
export function copySql(source: SourceTable, lowCursor: bigint | undefined): string {
  const cursor = pg.escapeIdentifier(source.cursor.column);
  const select = [`${pg.escapeIdentifier(source.key)}::text`, cursorExpression(source.cursor.column, source.cursor.kind), ...source.columns.map((c) => c.expression)];
  const from = `${pg.escapeIdentifier(source.schema)}.${pg.escapeIdentifier(source.table)}`;
  const where = lowCursor === undefined ? "" : ` WHERE ${cursor} >= ${cursorLiteral(source, lowCursor)}`;
  return `COPY (SELECT ${select.join(", ")} FROM ${from}${where} ORDER BY ${cursor}, ${pg.escapeIdentifier(source.key)}) TO STDOUT (FORMAT csv)`;
}

/** A cursor value (as bronze stores it) back in the column's type, so the WHERE can use the column's index. */
function cursorLiteral(source: SourceTable, value: bigint): string {
  if (source.cursor.kind === "integer") return value.toString();
  return `(to_timestamp(0) + ${value.toString()} * interval '1 microsecond')`;
}
