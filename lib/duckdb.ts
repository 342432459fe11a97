import { createRequire } from "node:module";
import type * as DuckDB from "@duckdb/node-api";

/**
 * @duckdb/node-api, loaded with `require`. The package is CommonJS, and an ESM `import` of it makes Node lex every
 * file it re-exports to find the named exports: 100 ms more at the start of every command that uses DuckDB (228
 * vs 111 ms measured), which is a tenth of a small incremental run. Import DuckDB from here, not the package.
 */
const duckdb = createRequire(import.meta.url)("@duckdb/node-api") as typeof DuckDB;

export const { DuckDBInstance, DuckDBConnection, DuckDBDataChunk, BIGINT, INTEGER, VARCHAR, StatementType, dateValue, timestampValue } = duckdb;
export type DuckDBInstance = DuckDB.DuckDBInstance;
export type DuckDBConnection = DuckDB.DuckDBConnection;
export type DuckDBDataChunk = DuckDB.DuckDBDataChunk;
export type DuckDBAppender = DuckDB.DuckDBAppender;
export type DuckDBValue = DuckDB.DuckDBValue;
