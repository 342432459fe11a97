// Incremental reads of bronze (and of upstream silver tables) by `_ingested_at`.
//
// Every incremental table stores `_ingested_at`, the bronze load time of the newest input that shaped
// the row. A run reads everything loaded after the newest value already in the table, minus a look-back
// window (var bronze_lookback_seconds). Re-reading is harmless because every incremental select
// re-decides its keys against the rows already in the table and the runner MERGEs by uniqueKey.
//
// The window's default depends on the warehouse. On pulse's DuckDB lake `_ingested_at` is the lake commit
// time, assigned in commit order under a lock and read from one snapshot per run (lake/commitClock.ts), so
// nothing can land behind a table's newest value: no window is needed. On BigQuery the ingest service's
// load time is stamped before the rows become visible, so a late-committing batch can carry an earlier
// time: the window covers that.

const vars = dataform.projectConfig.vars || {};

const DEFAULT_LOOKBACK_SECONDS = { duckdb: "0", bigquery: "600" };

function lookbackSeconds() {
  const raw = vars.bronze_lookback_seconds ?? DEFAULT_LOOKBACK_SECONDS[vars.pulse_warehouse === "duckdb" ? "duckdb" : "bigquery"];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`var bronze_lookback_seconds must be a whole number of seconds, got '${raw}'`);
  }
  return n;
}

// The bound itself: the `_ingested_at` after which inputs must be (re)read for the table `selfTable`.
// An empty table (it exists but nothing was loaded yet) reads everything. dialect.newestValue reads the newest
// value without scanning the column on DuckDB.
function sinceQuery(selfTable) {
  return `COALESCE(${dialect.minusSeconds(dialect.newestValue("_ingested_at", selfTable), lookbackSeconds())}, ${EPOCH})`;
}

const EPOCH = "TIMESTAMP '1970-01-01 00:00:00'";

// DuckDB skips a bronze file by its name (the commit time) only when the bound is a constant when the query
// is planned; a scalar subquery is evaluated after every file's rows were read, so an incremental run would
// read all of bronze to keep 1% of it. So on DuckDB an incremental pre-operation (setSince) evaluates the
// bound once into a session variable, named after the table, which the planner folds into a constant.
function sinceVariable(selfTable) {
  return `pulse_since_${selfTable.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")}`;
}

// The statement(s) to open an incremental run's pre_operations with; nothing on BigQuery, which reads the bound
// with a scalar subquery. Ends with `;` so more statements may follow in the same pre-operation.
function setSince(selfTable) {
  return dialect.isDuckdb ? `SET VARIABLE ${sinceVariable(selfTable)} = ${sinceQuery(selfTable)};` : "";
}

// The bound as an expression for the incremental query and its pre-operations. If the pre-operation did not
// run (the variable is unset) DuckDB reads from the epoch: slower, never wrong, since every incremental select
// re-decides its keys against the stored rows.
function since(selfTable) {
  return dialect.isDuckdb ? `COALESCE(getvariable('${sinceVariable(selfTable)}'), ${EPOCH})` : sinceQuery(selfTable);
}

// `_merged_since` of the rows a run writes: the bound an incremental run read after, the epoch for a full
// build. Rows written by one run share it and later runs write larger values, so the rows holding the
// table's largest value include every row the latest run wrote (the uniqueness assertions check those).
function mergedSince(selfTable, isIncremental) {
  return `CAST(${isIncremental ? since(selfTable) : EPOCH} AS ${dialect.type("timestamp")})`;
}

// Whether the bound is exact: every input loaded after it is new to the table, and none at or before it is. Then
// a table may add the new inputs to what it stored (gold.workout_bpm_summary's statistics); with a look-back
// window it would add re-read inputs twice.
function exact() {
  return lookbackSeconds() === 0;
}

// Whether a row of an incremental table was written by a full build (its `_merged_since`, see mergedSince): such a
// row carries no record of what it replaced, so a downstream table treats it as possibly replacing a stored row.
function writtenInFull(mergedSinceColumn) {
  return `(${mergedSinceColumn} = ${EPOCH})`;
}

module.exports = { lookbackSeconds, since, setSince, mergedSince, exact, writtenInFull };
