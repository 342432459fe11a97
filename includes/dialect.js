// Every SQL difference between BigQuery and DuckDB lives here, so the SQLX files stay identical for
// both warehouses. pulse's runner compiles with var pulse_warehouse=duckdb; the official Dataform CLI
// leaves it unset, which means BigQuery.

const vars = dataform.projectConfig.vars || {};
const isDuckdb = vars.pulse_warehouse === "duckdb";
// pulse always sets pulse_warehouse; the official CLI never does. Only pulse runs unit tests of
// incremental tables (core refuses to compile them), so those tests are registered only under pulse.
const compiledByPulse = vars.pulse_warehouse !== undefined;

// DuckDB has no FLOAT64 alias, BigQuery no DOUBLE: name the types through this map.
const TYPES = isDuckdb
  ? { int: "BIGINT", float: "DOUBLE", string: "VARCHAR", timestamp: "TIMESTAMP", date: "DATE" }
  : { int: "INT64", float: "FLOAT64", string: "STRING", timestamp: "TIMESTAMP", date: "DATE" };

function type(name) {
  const t = TYPES[name];
  if (!t) throw new Error(`dialect.type: unknown type '${name}'`);
  return t;
}

// NULL instead of an error when the value does not convert (bad data must not stop a run).
function safeCast(expr, typeName) {
  return isDuckdb ? `TRY_CAST(${expr} AS ${type(typeName)})` : `SAFE_CAST(${expr} AS ${type(typeName)})`;
}

// Column names that are reserved words in one of the warehouses (partition, offset, timestamp, date).
function quote(name) {
  return isDuckdb ? `"${name}"` : `\`${name}\``;
}

// Epoch seconds (integer or float) -> exact UTC TIMESTAMP at microsecond precision. Going through
// DOUBLE micros keeps float seconds such as 1678451168.0 exact (a 32-bit float would shift them).
function epochToTimestamp(expr) {
  const micros = `CAST(ROUND(CAST(${expr} AS ${type("float")}) * 1000000) AS ${type("int")})`;
  return isDuckdb ? `make_timestamp(${micros})` : `TIMESTAMP_MICROS(${micros})`;
}

// Scalar at a JSONPath ('$.a.b') of a JSON string, as a string (NULL when absent).
function jsonString(col, path) {
  return isDuckdb ? `json_extract_string(${col}, '${path}')` : `JSON_VALUE(${col}, '${path}')`;
}

function jsonValue(col, path, typeName) {
  return typeName === "string" ? jsonString(col, path) : safeCast(jsonString(col, path), typeName);
}

// 'MM/dd/yyyy' -> DATE, NULL when it does not parse.
function parseMdyDate(expr) {
  return isDuckdb ? `CAST(try_strptime(${expr}, '%m/%d/%Y') AS DATE)` : `SAFE.PARSE_DATE('%m/%d/%Y', ${expr})`;
}

// The reporting date for ages: var as_of_date (YYYY-MM-DD) or today in UTC.
function asOfDate() {
  const v = vars.as_of_date;
  if (v) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error(`var as_of_date must be YYYY-MM-DD, got '${v}'`);
    return `DATE '${v}'`;
  }
  // DuckDB's current_date follows the session time zone; BigQuery's CURRENT_DATE() is UTC.
  return isDuckdb ? `CAST(timezone('UTC', current_timestamp) AS DATE)` : `CURRENT_DATE()`;
}

// Whole years between two DATEs: the year difference, minus one if the anniversary is not reached yet.
function ageInYears(dob, onDate) {
  return `(EXTRACT(YEAR FROM ${onDate}) - EXTRACT(YEAR FROM ${dob})
      - CASE WHEN EXTRACT(MONTH FROM ${onDate}) * 100 + EXTRACT(DAY FROM ${onDate})
                < EXTRACT(MONTH FROM ${dob}) * 100 + EXTRACT(DAY FROM ${dob})
             THEN 1 ELSE 0 END)`;
}

// Seconds (with fraction) from start to end; BigQuery's TIMESTAMP_DIFF(..., SECOND) would truncate.
function secondsBetween(start, end) {
  return isDuckdb ? `(date_diff('microsecond', ${start}, ${end}) / 1000000)` : `(TIMESTAMP_DIFF(${end}, ${start}, MICROSECOND) / 1000000)`;
}

// ts minus a whole number of seconds.
function minusSeconds(ts, seconds) {
  const n = Number(seconds);
  if (!Number.isInteger(n) || n < 0) throw new Error(`minusSeconds: expected a whole number of seconds, got '${seconds}'`);
  return isDuckdb ? `(${ts} - INTERVAL ${n} SECOND)` : `TIMESTAMP_SUB(${ts}, INTERVAL ${n} SECOND)`;
}

// The largest non-null value of `column` in `table`, as a scalar subquery (null for an empty table). DuckDB's MAX
// may scan the whole column, where the top row by ORDER BY ... LIMIT 1 reads the row groups in the order of their
// maxima and stops early: on the pipeline bench's +2.5% run, MAX(end_time) of silver.workout_bpm's 8.3M rows took
// 31 ms inside the run, the top row 1.2 ms.
function newestValue(column, table) {
  return isDuckdb ? `(SELECT ${column} FROM ${table} WHERE ${column} IS NOT NULL ORDER BY ${column} DESC LIMIT 1)` : `(SELECT MAX(${column}) FROM ${table})`;
}

// A derived table with one DATE column `date`, every day from start to end inclusive.
function dateSeries(start, end) {
  for (const d of [start, end]) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`dateSeries: expected YYYY-MM-DD, got '${d}'`);
  }
  return isDuckdb
    ? `(SELECT CAST(generate_series AS DATE) AS date FROM generate_series(DATE '${start}', DATE '${end}', INTERVAL 1 DAY))`
    : `(SELECT d AS date FROM UNNEST(GENERATE_DATE_ARRAY(DATE '${start}', DATE '${end}')) AS d)`;
}

// DATE arithmetic (unit tests build dates relative to as_of_date with these).
function addDays(d, n) {
  return isDuckdb ? `CAST(${d} + INTERVAL (${n}) DAY AS DATE)` : `DATE_ADD(${d}, INTERVAL ${n} DAY)`;
}

function addYears(d, n) {
  return isDuckdb ? `CAST(${d} + INTERVAL (${n}) YEAR AS DATE)` : `DATE_ADD(${d}, INTERVAL ${n} YEAR)`;
}

// Day of week 1 = Sunday .. 7 = Saturday (BigQuery's numbering; DuckDB counts from 0).
function dayOfWeek(d) {
  return isDuckdb ? `(EXTRACT(DAYOFWEEK FROM ${d}) + 1)` : `EXTRACT(DAYOFWEEK FROM ${d})`;
}

// DELETE FROM `table` the rows whose `keys` match a row of the `matching` query. BigQuery has no DELETE ... USING,
// so it gets a correlated EXISTS; DuckDB plans that EXISTS by first collecting the distinct keys of the whole
// table (half the cost of an incremental pre-operation on a large table), so it gets the join form.
function deleteMatching(table, matching, keys) {
  const on = keys.map((k) => `m.${k} = t.${k}`).join(" AND ");
  return isDuckdb ? `DELETE FROM ${table} AS t USING (${matching}) AS m WHERE ${on}` : `DELETE FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM (${matching}) AS m WHERE ${on})`;
}

// The order a full build stores its rows in, as the query's closing clause. DuckDB keeps rows in insertion order
// and skips row groups by their min/max, so a table that incremental runs probe by a column (new readings by time)
// is cheaper to probe stored in that column's order. BigQuery gets nothing: a top-level ORDER BY there sorts on one
// worker, and its equivalent is the table's clusterBy option.
function storageOrder(columns) {
  return isDuckdb ? `ORDER BY ${columns.join(", ")}` : "";
}

// The uniqueKey the runner MERGEs an incremental table's batch by: the key on BigQuery; none on DuckDB, where the
// runner then appends the batch and the table's own incremental operations delete the stored rows its batch
// supersedes (they know which few those are). DuckDB's MERGE probes the whole table with every batch key: on the
// bench's +2.5% run, 0.6 CPU s for 243k readings into silver.heart_rate's 9.5M, 0.9-1.1 s for 0.4-0.85M rows into
// silver.workout_bpm's 8M; appending and deleting the few replaced keys cost 0.4 s for both. The runner runs a
// DuckDB incremental action in one transaction, so an append never stays without its delete.
function mergeKey(keys) {
  return isDuckdb ? [] : keys;
}

module.exports = {
  isDuckdb,
  compiledByPulse,
  type,
  safeCast,
  quote,
  epochToTimestamp,
  jsonString,
  jsonValue,
  parseMdyDate,
  asOfDate,
  ageInYears,
  secondsBetween,
  minusSeconds,
  newestValue,
  dateSeries,
  addDays,
  addYears,
  dayOfWeek,
  deleteMatching,
  storageOrder,
  mergeKey,
};
