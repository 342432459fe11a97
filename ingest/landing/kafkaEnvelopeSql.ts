import { kafkaTimestampDateSql } from "../../lake/kafkaTimestamp.js";
import { sqlIdentifier, sqlString } from "../../lake/sqlText.js";
import { goodLines } from "./badLines.js";
import { numberedRowsSql, type LandingScan } from "./landingScan.js";
import { topicPayloadFieldsSql, topicPayloadPlainSql, topicPayloadReasonSql } from "./topicPayloadSql.js";

/**
 * SQL for Kafka envelope lines `{"key","value","topic","partition","offset","timestamp"}`, `value` a JSON string
 * kept verbatim once its payload passes the topic's checks (topicPayloadSql.ts, as on the stream path). Two readers
 * share these checks and conversions, so they accept exactly the same lines:
 * - `kafkaEnvelopeFastSql`: DuckDB's JSON reader over the whole file, failing at the first bad line. Most files
 *   have none, and this is the cheap path (about half the CPU of checking raw lines);
 * - `kafkaCheckedLinesSql` (checkedLinesSql.ts): raw lines parsed one by one, so bad lines get their line number,
 *   text and reason as dead letters. It is the path for files the fast read refuses.
 * Both see each field as its JSON text (type JSON), so a wrong JSON type is reported instead of coerced:
 * DuckDB's typed JSON reads turn "5" into 5 and 1.5 into 2.
 */

const ENVELOPE_FIELD_NAMES = ["key", "value", "topic", "partition", "offset", "timestamp"] as const;

/** The envelope as a struct of JSON-typed fields, in from_json's JSON schema notation. */
export const KAFKA_ENVELOPE_AS_JSON = JSON.stringify(Object.fromEntries(ENVELOPE_FIELD_NAMES.map((name) => [name, "JSON"])));

const text = (field: string) => `CAST(${field} AS VARCHAR)`;
const isString = (field: string) => `starts_with(${text(field)}, '"')`;
// Most keys and topics have no escapes: slicing off the quotes is far cheaper than a JSON parse.
const unquote = (field: string) => `CASE WHEN contains(${text(field)}, '\\') THEN from_json(${field}, '"VARCHAR"') ELSE ${text(field)}[2:-2] END`;

/**
 * The numeric fields parsed from their JSON text, as `partition_number`, `offset_number`, `timestamp_number`. A
 * cast alone is lenient ("1.5" casts to 2, "1000.0" to 1000): the checks also require the number to print back as
 * its JSON text, which a round trip through the cast does only for plain digits. That is as strict as a regular
 * expression and costs a third of one.
 */
export function kafkaEnvelopeNumbersSql(): string {
  return [
    `TRY_CAST(${text('"partition"')} AS INTEGER) AS partition_number`,
    `TRY_CAST(${text('"offset"')} AS BIGINT) AS offset_number`,
    `TRY_CAST(${text('"timestamp"')} AS BIGINT) AS timestamp_number`,
  ].join(", ");
}

const digitsOf = (number: string, field: string) => `${number} >= 0 AND CAST(${number} AS VARCHAR) = ${text(field)}`;

/** Why an envelope (JSON-typed columns "key", "value", topic, … and `kafkaEnvelopeNumbersSql`) is bad, or NULL. */
export function kafkaEnvelopeReasonSql(): string {
  return `CASE
      WHEN "value" IS NULL OR NOT ${isString('"value"')} THEN 'value must be a JSON string'
      WHEN "key" IS NOT NULL AND NOT ${isString('"key"')} THEN 'key must be a JSON string or null'
      WHEN topic IS NULL OR NOT ${isString("topic")} OR ${text("topic")} = '""' THEN 'topic must be a non-empty JSON string'
      WHEN partition_number IS NULL OR NOT (${digitsOf("partition_number", '"partition"')} AND partition_number < 1000000000) THEN 'partition must be a non-negative integer'
      WHEN offset_number IS NULL OR NOT (${digitsOf("offset_number", '"offset"')} AND offset_number < 1000000000000000000) THEN 'offset must be a non-negative integer'
      WHEN timestamp_number IS NULL OR NOT (timestamp_number >= 0 AND timestamp_number < 1000000000000000
        AND (CAST(timestamp_number AS VARCHAR) = ${text('"timestamp"')} OR CAST(timestamp_number AS VARCHAR) || '.0' = ${text('"timestamp"')}))
        THEN 'timestamp must be a non-negative integer (epoch seconds or milliseconds) below 1e15'
    END`;
}

const PAYLOAD_GUARD = `${isString('"value"')} AND ${isString("topic")}`;

/** Whether the payload is plain (topicPayloadPlainSql), from the JSON-typed envelope columns; select it a level below the next. */
export function kafkaPayloadPlainSql(): string {
  return topicPayloadPlainSql(unquote("topic"), PAYLOAD_TEXT, PAYLOAD_GUARD);
}

/** The payload's topic fields (topicPayloadFieldsSql) from the JSON-typed envelope columns. */
export function kafkaPayloadFieldsSql(): string {
  return topicPayloadFieldsSql(unquote("topic"), PAYLOAD_TEXT, PAYLOAD_GUARD);
}

/** Why the payload fails its topic's checks, or NULL, from the JSON-typed envelope columns and kafkaPayloadFieldsSql. */
export function kafkaPayloadReasonSql(): string {
  return topicPayloadReasonSql(unquote("topic"), PAYLOAD_TEXT);
}

/** The payload text of a JSON-typed `value` (meaningful where the envelope check found it a JSON string). */
const PAYLOAD_TEXT = `from_json("value", '"VARCHAR"')`;

/** The envelope fields converted to their bronze types (meaningful only for good envelopes). */
export function kafkaEnvelopeFields(): { name: string; sql: string }[] {
  return [
    { name: `"key"`, sql: unquote('"key"') },
    { name: `"value"`, sql: `from_json("value", '"VARCHAR"')` },
    { name: "topic", sql: unquote("topic") },
    { name: `"partition"`, sql: "partition_number" },
    { name: `"offset"`, sql: "offset_number" },
    { name: `"timestamp"`, sql: "timestamp_number" },
  ];
}

/**
 * `SELECT` of the bronze.kafka_multiplex columns plus provenance, from rows with converted fields, `line` and `_source`.
 * message_id is left NULL: readers derive it from the Kafka coordinates (lake/kafkaMessageId.ts).
 */
export function kafkaBronzeColumnsSql(): string {
  return `SELECT "key", "value", topic, "partition", "offset", "timestamp",
      ${kafkaTimestampDateSql('"timestamp"')} AS date,
      NULL AS message_id,
      _source, line AS _source_line`;
}

/**
 * The bronze rows of whole envelope files read by DuckDB's JSON reader, failing at the first bad envelope
 * (BAD_LINE_ABORT) or at text that is not one JSON object per line (DuckDB's own error).
 * `_source_line` is the row's position in its file, which is its line number only if the reader skipped no line: it
 * skips blank lines, so the caller must check that each file has as many lines as rows before committing.
 */
export function kafkaEnvelopeFastSql(scan: LandingScan): string {
  const columns = `columns = {${ENVELOPE_FIELD_NAMES.map((name) => `${sqlString(name)}: 'JSON'`).join(", ")}}`;
  const read = (paths: string, filename: string) =>
    `read_json(${paths}, format = 'newline_delimited', records = true, ${columns}, compression = ${scan.gzip ? "'gzip'" : "'uncompressed'"}${filename})`;
  const fields = kafkaEnvelopeFields().map((f) => `${f.sql} AS ${f.name}`);
  return `
    ${kafkaBronzeColumnsSql()}
    FROM (
      SELECT *, ${topicPayloadFieldsSql("topic", '"value"')}
      FROM (
        SELECT *, ${topicPayloadPlainSql("topic", '"value"')}
        FROM (
          SELECT line, _source, ${fields.join(", ")}
          FROM (
            SELECT *, ${kafkaEnvelopeNumbersSql()}
            FROM (${numberedRowsSql(scan, read, ENVELOPE_FIELD_NAMES.map(sqlIdentifier))})
          )
          WHERE ${goodLines("abort", kafkaEnvelopeReasonSql())}
        )
      )
    )
    WHERE ${goodLines("abort", topicPayloadReasonSql("topic", '"value"'))}`;
}
