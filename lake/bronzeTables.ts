import { LANDING_FEEDS } from "../lib/feeds.js";

/**
 * The bronze contract (docs/architecture.md, "Bronze"): every bronze table's columns in order, with the
 * DuckDB type the lake's Parquet files and views use and the BigQuery type the same table has there.
 */
export interface BronzeColumn {
  readonly name: string;
  readonly duckdbType: BronzeDuckDBType;
  readonly bigqueryType: string;
}

/** The DuckDB types bronze uses; the row writer knows how to append each of them. */
export type BronzeDuckDBType = "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE" | "DATE" | "TIMESTAMP" | "BLOB";

export const BRONZE_TABLE_NAMES = [...LANDING_FEEDS, "dead_letters"] as const;
export type BronzeTableName = (typeof BRONZE_TABLE_NAMES)[number];

const column = (name: string, duckdbType: BronzeDuckDBType, bigqueryType: string): BronzeColumn => ({ name, duckdbType, bigqueryType });

/** Provenance every bronze row carries, after its data columns. */
export const PROVENANCE_COLUMNS: readonly BronzeColumn[] = [
  column("_source", "VARCHAR", "STRING"),
  column("_source_line", "BIGINT", "INT64"),
  column("_ingested_at", "TIMESTAMP", "TIMESTAMP"),
  column("_batch", "VARCHAR", "STRING"),
];

/** Data columns per table, without provenance. */
export const BRONZE_DATA_COLUMNS: Readonly<Record<BronzeTableName, readonly BronzeColumn[]>> = {
  registered_users: [column("user_id", "BIGINT", "INT64"), column("device_id", "BIGINT", "INT64"), column("mac_address", "VARCHAR", "STRING"), column("registration_timestamp", "DOUBLE", "FLOAT64")],
  gym_logins: [column("mac_address", "VARCHAR", "STRING"), column("gym", "BIGINT", "INT64"), column("login", "DOUBLE", "FLOAT64"), column("logout", "DOUBLE", "FLOAT64")],
  kafka_multiplex: [
    column("key", "VARCHAR", "STRING"),
    column("value", "VARCHAR", "STRING"),
    column("topic", "VARCHAR", "STRING"),
    column("partition", "INTEGER", "INT64"),
    column("offset", "BIGINT", "INT64"),
    column("timestamp", "BIGINT", "INT64"),
    column("date", "DATE", "DATE"),
    column("message_id", "VARCHAR", "STRING"),
  ],
  dead_letters: [
    column("source", "VARCHAR", "STRING"),
    column("feed", "VARCHAR", "STRING"),
    column("line", "BIGINT", "INT64"),
    column("raw", "BLOB", "BYTES"),
    column("reason", "VARCHAR", "STRING"),
    column("dead_lettered_at", "TIMESTAMP", "TIMESTAMP"),
  ],
};

/** All columns of a bronze table as stored in the lake: data columns, then provenance. */
export function bronzeColumns(table: BronzeTableName): readonly BronzeColumn[] {
  return [...BRONZE_DATA_COLUMNS[table], ...PROVENANCE_COLUMNS];
}
