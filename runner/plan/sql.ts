import type { Column } from "../adapters/adapter.js";
import type { Dialect } from "../adapters/adapter.js";
import { sqlIdentifier } from "../../lake/sqlText.js";

/** Pure SQL text builders. Identifiers arrive already quoted for the dialect (relation names) or raw (columns). */

export function quoteColumn(dialect: Dialect, name: string): string {
  return dialect === "bigquery" ? `\`${name.replace(/`/g, "\\`")}\`` : sqlIdentifier(name);
}

export function createTableAs(relation: string, query: string): string {
  return `create or replace table ${relation} as\n${query.trim()}`;
}

export function createViewAs(relation: string, query: string): string {
  return `create or replace view ${relation} as\n${query.trim()}`;
}

export function dropRelation(kind: "table" | "view", relation: string): string {
  return `drop ${kind} if exists ${relation}`;
}

/** A session-scoped copy of the incremental batch: computed once, checked, then merged. */
export function stagingName(dialect: Dialect): string {
  // BigQuery: a temp table of the action's session, referenced unqualified.
  return dialect === "duckdb" ? `temp.main."__pulse_incremental_batch"` : "__pulse_incremental_batch";
}

export function createStaging(dialect: Dialect, query: string): string {
  return dialect === "duckdb" ? `create or replace temp table "__pulse_incremental_batch" as\n${query.trim()}` : `create temp table __pulse_incremental_batch as\n${query.trim()}`;
}

export function dropStaging(dialect: Dialect): string {
  return `drop table if exists ${stagingName(dialect)}`;
}

/** A query as a table expression; the query may end in a `--` comment, hence the line break. */
export function subquery(query: string): string {
  return `(\n${query.trim()}\n) as batch`;
}

export function insertFrom(dialect: Dialect, relation: string, source: string, columns: string[]): string {
  const list = columns.map((c) => quoteColumn(dialect, c)).join(", ");
  return `insert into ${relation} (${list})\nselect ${list} from ${source}`;
}

function keyMatch(dialect: Dialect, uniqueKey: string[], left: string, right: string): string {
  return uniqueKey.map((k) => `${left}.${quoteColumn(dialect, k)} = ${right}.${quoteColumn(dialect, k)}`).join(" and ");
}

/** MERGE by unique key, as Dataform does on BigQuery: update every column of a matched row, insert the rest. */
export function mergeFrom(dialect: Dialect, relation: string, source: string, uniqueKey: string[], columns: string[]): string {
  const updates = columns.map((c) => `${quoteColumn(dialect, c)} = s.${quoteColumn(dialect, c)}`).join(", ");
  const list = columns.map((c) => quoteColumn(dialect, c)).join(", ");
  const values = columns.map((c) => `s.${quoteColumn(dialect, c)}`).join(", ");
  return [
    `merge into ${relation} as t`,
    `using ${source} as s`,
    `on ${keyMatch(dialect, uniqueKey, "t", "s")}`,
    `when matched then update set ${updates}`,
    `when not matched then insert (${list}) values (${values})`,
  ].join("\n");
}

/**
 * Counts target rows that more than one batch row would update. BigQuery rejects such a MERGE
 * ("must match at most one source row for each target row") while DuckDB accepts it, so pulse checks
 * first and fails the same way. Keys repeated within the batch are found first, on the batch alone: there are
 * almost never any, and only they are looked up in the target (probing the target with the whole batch
 * scanned the target on every incremental run).
 */
export function ambiguousMergeCount(dialect: Dialect, relation: string, source: string, uniqueKey: string[]): string {
  return `select count(*) as row_count from (\n${ambiguousKeys(dialect, relation, source, uniqueKey)}\n) as ambiguous`;
}

export function ambiguousMergeSample(dialect: Dialect, relation: string, source: string, uniqueKey: string[]): string {
  return `${ambiguousKeys(dialect, relation, source, uniqueKey)}\nlimit 5`;
}

/** Batch keys held by more than one batch row and present in the target, with `batch_rows`. */
function ambiguousKeys(dialect: Dialect, relation: string, source: string, uniqueKey: string[]): string {
  const keys = uniqueKey.map((k) => quoteColumn(dialect, k));
  return [
    `select ${keys.map((k) => `s.${k}`).join(", ")}, s.batch_rows from (`,
    `  select ${keys.join(", ")}, count(*) as batch_rows from ${source}`,
    `  group by ${keys.join(", ")} having count(*) > 1`,
    `) as s`,
    `where exists (select 1 from ${relation} as t where ${keyMatch(dialect, uniqueKey, "t", "s")})`,
  ].join("\n");
}

export function addColumn(dialect: Dialect, relation: string, column: Column): string {
  return `alter table ${relation} add column ${quoteColumn(dialect, column.name)} ${column.type}`;
}

export function dropColumn(dialect: Dialect, relation: string, name: string): string {
  return `alter table ${relation} drop column ${quoteColumn(dialect, name)}`;
}

export function countRows(relation: string): string {
  return `select count(*) as row_count from ${relation}`;
}

export function sampleRows(relation: string, limit = 5): string {
  return `select * from ${relation} limit ${limit}`;
}
