import { sqlIdentifier, sqlString, sqlTimestampMicros } from "../../lake/sqlText.js";
import { goodLines, type BadLines } from "./badLines.js";
import { csvLayout, type CsvFeed } from "./landingFeeds.js";
import { numberedRowsSql, type LandingScan } from "./landingScan.js";
import {
  KAFKA_ENVELOPE_AS_JSON,
  kafkaBronzeColumnsSql,
  kafkaEnvelopeFields,
  kafkaEnvelopeNumbersSql,
  kafkaEnvelopeReasonSql,
  kafkaPayloadFieldsSql,
  kafkaPayloadPlainSql,
  kafkaPayloadReasonSql,
} from "./kafkaEnvelopeSql.js";

/**
 * SQL that reads a landing file as raw lines and checks each one, entirely inside DuckDB (no per-row JS). A
 * "checked" query yields one row per line that is not empty: `line` (1-based), `reason` (NULL when the line is good),
 * `raw` (the line text, kept only for bad lines) and the feed's fields. The loader first streams the good lines of
 * the query straight into a bronze batch, aborting at the first bad line (`BAD_LINE_ABORT`); only a file with bad
 * lines is then checked again into a temp table, from which `...BronzeSelect` (good lines) and `deadLetterSelect`
 * (bad lines) are committed.
 */

/**
 * Every physical line of the scan's files, blank ones as NULL: `line` (1-based), `raw`, `_source`. The CSV reader is
 * used as a fast line splitter: no quoting, no comments, and the control character U+0001 as delimiter, so each
 * line is one column (JSON must escape U+0001 and the CSV feeds never carry it; a file that does is unreadable).
 * DuckDB decompresses `.gz` itself and rejects a file that is not UTF-8 or not gzip though named `.gz`: those
 * errors make the file unreadable as a whole.
 */
export function rawLinesSql(scan: LandingScan): string {
  const options = [
    "columns = {'raw': 'VARCHAR'}",
    "header = false",
    "auto_detect = false",
    "delim = chr(1)",
    "quote = ''",
    "escape = ''",
    "comment = ''",
    `compression = ${scan.gzip ? "'gzip'" : "'none'"}`,
    // Lines up to 64 MiB; a longer one makes the file unreadable rather than silently split.
    "max_line_size = 67108864",
  ];
  return numberedRowsSql(scan, (paths, filename) => `read_csv(${paths}, ${options.join(", ")}${filename})`, ["raw"]);
}

/**
 * The first line of each CSV file of the scan (its header), with a UTF-8 byte-order mark and surrounding blanks
 * removed, as `_source`, `header`. An empty file has no row.
 */
export function csvHeaderSql(scan: LandingScan): string {
  return `SELECT _source, trim(replace(raw, chr(65279), '')) AS header FROM (${rawLinesSql(scan)}) WHERE line = 1`;
}

/**
 * Kafka envelope lines, checked one by one from the raw text: `kafkaEnvelopeFields` per line (see
 * kafkaEnvelopeSql.ts), plus `blank` (a whitespace-only line: neither loaded nor dead-lettered) and `raw` for bad
 * lines. This is the slow, exact path for files the fast read (`kafkaEnvelopeFastSql`) refuses.
 * Performance: each line is parsed once; TRY(from_json) is NULL for text that is not JSON, which spares a separate
 * validation parse. The UNNEST and the temp table the loader stores this in keep DuckDB from re-parsing the line
 * for each field or re-evaluating the checks in later projections (inlined, this query is several times slower).
 */
export function kafkaCheckedLinesSql(scan: LandingScan): string {
  const reason = `CASE WHEN blank THEN NULL WHEN NOT is_object THEN 'not a JSON object' ELSE coalesce(${kafkaEnvelopeReasonSql()}, ${kafkaPayloadReasonSql()}) END`;
  return `
    WITH lines AS (${rawLinesSql(scan)}),
    braced AS (SELECT line, _source, raw, starts_with(raw, '{') OR starts_with(ltrim(raw), '{') AS braced FROM lines WHERE raw IS NOT NULL),
    parsed AS (SELECT line, _source, raw, CASE WHEN braced THEN TRY(from_json(raw, ${sqlString(KAFKA_ENVELOPE_AS_JSON)})) END AS envelope FROM braced),
    fields AS (
      SELECT line, _source, raw, envelope IS NOT NULL AS is_object,
        -- trim copies the string, so it only runs on the rare lines that are not objects. (A WHERE here would be
        -- pushed below the projection and evaluate trim on every line.)
        CASE WHEN envelope IS NOT NULL THEN false ELSE trim(raw) = '' END AS blank,
        unnest(envelope)
      FROM parsed
    ),
    numbered AS (SELECT *, ${kafkaEnvelopeNumbersSql()}, ${kafkaPayloadPlainSql()} FROM fields),
    payloads AS (SELECT *, ${kafkaPayloadFieldsSql()} FROM numbered),
    checked AS (SELECT *, ${reason} AS reason FROM payloads)
    SELECT unnest(struct_pack(
      line := line, _source := _source, blank := blank, reason := reason, raw := CASE WHEN reason IS NOT NULL THEN raw END,
      ${kafkaEnvelopeFields()
        .map((f) => `${f.name} := ${f.sql}`)
        .join(",\n      ")}
    ))
    FROM checked`;
}

/** The bronze.kafka_multiplex columns (plus provenance) of the good lines of `kafkaCheckedLinesSql` rows (a table or subquery). */
export function kafkaBronzeSelect(checked: string, badLines: BadLines): string {
  return `${kafkaBronzeColumnsSql()} FROM ${checked} WHERE ${goodLines(badLines)} AND NOT blank`;
}

/**
 * Headered CSV lines (the header itself is checked separately): exactly the layout's number of comma-separated
 * fields, integers as integers, numbers as finite numbers, required fields non-empty. The feeds carry no
 * quoted fields; a quote makes the line bad rather than being interpreted.
 */
export function csvCheckedLinesSql(feed: CsvFeed, scan: LandingScan): string {
  const { header, fields } = csvLayout(feed);
  const field = (i: number) => `nullif(trim(f[${i + 1}]), '')`;
  const fieldProblems = fields.map((c, i) => {
    const value = field(i);
    const missing = c.required ? `WHEN ${value} IS NULL THEN '${c.name} is empty'` : "";
    const wrong =
      c.duckdbType === "BIGINT"
        ? `WHEN ${value} IS NOT NULL AND (NOT regexp_full_match(${value}, '[+-]?[0-9]{1,18}')) THEN '${c.name} must be an integer'`
        : c.duckdbType === "DOUBLE"
          ? `WHEN ${value} IS NOT NULL AND NOT coalesce(isfinite(TRY_CAST(${value} AS DOUBLE)), false) THEN '${c.name} must be a finite number'`
          : `WHEN ${value} IS NOT NULL AND contains(${value}, '"') THEN '${c.name} must not contain quotes'`;
    return `${missing} ${wrong}`;
  });
  const reason = `CASE
      WHEN len(f) <> ${fields.length} THEN 'expected ${fields.length} comma-separated fields (${header}), found ' || len(f)
      ${fieldProblems.join("\n      ")}
    END`;
  const typedColumns = fields.map((c, i) => `CASE WHEN reason IS NULL THEN TRY_CAST(${field(i)} AS ${c.duckdbType}) END AS ${sqlIdentifier(c.name)}`);
  return `
    WITH lines AS (${rawLinesSql(scan)}),
    split AS (SELECT line, _source, raw, string_split(raw, ',') AS f FROM lines WHERE line > 1 AND raw IS NOT NULL AND trim(raw) <> ''),
    checked AS (SELECT line, _source, raw, f, ${reason} AS reason FROM split)
    SELECT line, _source, reason, CASE WHEN reason IS NOT NULL THEN raw END AS raw, ${typedColumns.join(", ")}
    FROM checked`;
}

/** The bronze columns (plus provenance) of the good lines of `csvCheckedLinesSql` rows (a table or subquery). */
export function csvBronzeSelect(feed: CsvFeed, checked: string, badLines: BadLines): string {
  const columns = csvLayout(feed).fields.map((c) => sqlIdentifier(c.name));
  return `SELECT ${columns.join(", ")}, _source, line AS _source_line FROM ${checked} WHERE ${goodLines(badLines)}`;
}

/** bronze.dead_letters rows for the bad lines of a checked table. */
export function deadLetterSelect(checkedTable: string, feed: string, deadLetteredAtMicros: bigint): string {
  return `SELECT _source AS source, ${sqlString(feed)} AS feed, line, encode(raw) AS raw, reason,
      ${sqlTimestampMicros(deadLetteredAtMicros)} AS dead_lettered_at, _source, line AS _source_line
    FROM ${checkedTable} WHERE reason IS NOT NULL`;
}
