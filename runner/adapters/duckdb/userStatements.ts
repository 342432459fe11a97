import { StatementType, type DuckDBConnection } from "../../../lib/duckdb.js";
import { UserError } from "../../../lib/errors.js";
import { jsonFriendly } from "./jsonFriendly.js";

/** One statement's result as `pulse query` prints it. */
export interface StatementRows {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * What a reader may run: queries (DESCRIBE, SHOW and PRAGMA table_info are queries too) and their plans.
 * Everything else — DML, DDL, COPY, ATTACH, SET, LOAD, EXPORT — needs `pulse query --write`.
 */
const READ_KINDS = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

function kindName(type: number): string {
  return (StatementType as unknown as Record<number, string>)[type] ?? `type ${type}`;
}

/** DuckDB's own message, and for a refused file the boundary pulse drew. */
function failure(error: unknown, index: number, count: number): UserError {
  const message = (error as Error).message;
  const where = count > 1 ? ` (statement ${index + 1} of ${count})` : "";
  const hint = /Permission Error/.test(message) ? "\n(pulse query reads only the warehouse, the lake and other files under PULSE_HOME)" : "";
  return new UserError(`query failed${where}: ${message}${hint}`, 1);
}

/**
 * Runs the statements of `sql` in order and returns every statement's result. A reader's statements are all
 * checked before the first one runs (DuckDB's parser decides each one's kind, not a pattern on the text), so a
 * refused statement anywhere in the string runs nothing. With `allowWrites` each statement is prepared just
 * before it runs: a later one may name what an earlier one created.
 */
export async function runUserStatements(connection: DuckDBConnection, sql: string, options: { allowWrites: boolean }): Promise<StatementRows[]> {
  const extracted = await connection.extractStatements(sql).catch((error: unknown) => Promise.reject(failure(error, 0, 1)));
  const count = extracted.count;
  if (count === 0) throw new UserError("query: no SQL statement given", 2);
  const prepare = (index: number) => extracted.prepare(index).catch((error: unknown) => Promise.reject(failure(error, index, count)));
  const prepared = options.allowWrites ? [] : await Promise.all(Array.from({ length: count }, (_, index) => prepare(index)));
  prepared.forEach((statement, index) => {
    if (!READ_KINDS.has(statement.statementType)) {
      const where = count > 1 ? `statement ${index + 1} of ${count} is` : "the statement is";
      throw new UserError(`query refused: ${where} ${kindName(statement.statementType)}; pulse query only reads (SELECT, EXPLAIN). Writes need --write, which waits for a running pulse run.`, 1);
    }
  });
  const results: StatementRows[] = [];
  for (let index = 0; index < count; index++) {
    const statement = prepared[index] ?? (await prepare(index));
    try {
      const reader = await statement.runAndReadAll();
      results.push({ columns: reader.deduplicatedColumnNames(), rows: reader.getRowObjects().map((row) => jsonFriendly(row) as Record<string, unknown>) });
    } catch (error) {
      throw failure(error, index, count);
    }
  }
  return results;
}
