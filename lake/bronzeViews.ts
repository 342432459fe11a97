import { BRONZE_TABLE_NAMES, bronzeColumns } from "./bronzeTables.js";
import { COMMIT_MICROS_DIGITS } from "./commitClock.js";
import { kafkaMessageIdSql } from "./kafkaMessageId.js";
import { bronzeGlob } from "./lakeReader.js";
import { sqlIdentifier, sqlString } from "./sqlText.js";

export interface BronzeViewOptions {
  /** Database (catalog) the `bronze` schema lives in, e.g. the attached warehouse's defaultProject name. */
  catalog?: string;
  /** Schema name; `bronze` unless a test wants another. */
  schema?: string;
  /**
   * The lake commit clock read when the views were made (readCommitClock): files committed later stay
   * invisible, so every query of one run reads the same bronze. Absent: every committed file.
   */
  snapshotMicros?: bigint;
}

/** A file's commit time, from its name (commitClock.ts); NULL for files outside the commit order. */
const COMMIT_MICROS = `TRY_CAST(substr(parse_filename(filename), 1, ${COMMIT_MICROS_DIGITS}) AS BIGINT)`;

/**
 * SQL statements (run in order, in the warehouse) that create schema `bronze` and one view per bronze table over
 * the lake's Parquet files, casting every column to its contract type. kafka_multiplex's message_id is derived
 * where files leave it NULL (kafkaMessageId.ts). `_ingested_at` is the file's lake commit time (not the writer's
 * clock inside the file): the order incremental reads rely on. `lakeDir` is `homePaths(home).lake`; call
 * `ensureLake(home)` first so each glob matches. Pure: no I/O.
 *
 * Every lake file has all of its table's columns in contract order (lakeWriter writes them so), so the views
 * take the schema of one file instead of unioning by name: a union reads the footer of every file each time a
 * query that uses the view is planned, which cost tens of milliseconds per query once the lake held a few
 * hundred files.
 */
export function bronzeViewStatements(lakeDir: string, options: BronzeViewOptions = {}): string[] {
  const schema = [options.catalog, options.schema ?? "bronze"]
    .filter((part): part is string => part !== undefined)
    .map(sqlIdentifier)
    .join(".");
  const views = BRONZE_TABLE_NAMES.map((table) => {
    const columns = bronzeColumns(table).map((c) => {
      if (c.name === "_ingested_at") return `make_timestamp(${COMMIT_MICROS}) AS _ingested_at`;
      if (table === "kafka_multiplex" && c.name === "message_id") return `${kafkaMessageIdSql()} AS message_id`;
      return `CAST(${sqlIdentifier(c.name)} AS ${c.duckdbType}) AS ${sqlIdentifier(c.name)}`;
    });
    const visible = options.snapshotMicros === undefined ? `${COMMIT_MICROS} IS NOT NULL` : `${COMMIT_MICROS} <= ${options.snapshotMicros}`;
    return `CREATE OR REPLACE VIEW ${schema}.${sqlIdentifier(table)} AS SELECT ${columns.join(", ")} FROM read_parquet(${sqlString(bronzeGlob(lakeDir, table))}, filename = true) WHERE ${visible}`;
  });
  return [`CREATE SCHEMA IF NOT EXISTS ${schema}`, ...views];
}
