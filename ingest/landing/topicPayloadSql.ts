import { sqlString } from "../../lake/sqlText.js";
import type { StreamTopic } from "../schemas/topics.js";

/**
 * The stream path's per-topic payload checks (zod schemas in ingest/schemas/topics.ts, applied by validate.ts) as
 * SQL, so an envelope in a landing file passes exactly the checks the same message would pass from Kafka: a 10 MB
 * string where bpm wants a number is a dead letter on both paths, not a NULL in silver.
 * The two are kept in agreement by tests/adversarial/landingPayloads.test.ts, which runs the zod schemas, the fast
 * path and the line-by-line path over the same payloads. Topics without a schema are not checked (the stream path
 * never subscribes to them). One known difference: a JSON object with a repeated key is read by JavaScript with the
 * last value and by DuckDB with the first.
 *
 * The payload is parsed once per row (`topicPayloadFieldsSql`, a list of the topic's fields as JSON, NULL for a
 * missing field, the list NULL for text that is not JSON); `topicPayloadReasonSql` then reads that list.
 */
type Check =
  /** z.number().int().nonnegative() (zod's int is a safe integer). */
  | "id"
  /** epochSeconds: a finite non-negative number below 1e11. */
  | "epoch"
  /** z.number().finite().nullable(): present, a number or null. */
  | "numberOrNull"
  /** z.string().nullish() */
  | "optionalText"
  /** z.object(...).nullish() */
  | "optionalObject"
  /** z.union([id, z.string()]).nullish() */
  | "optionalIdOrText"
  | { enum: readonly string[] }
  /** z.string().regex(...).nullish(): `pattern` in DuckDB's (RE2) syntax, matched in full; `format` names it. */
  | { optionalPattern: string; format: string };

interface FieldCheck {
  /** Path in the payload, dot-separated. */
  field: string;
  check: Check;
}

const TOPIC_CHECKS: Readonly<Record<StreamTopic, readonly FieldCheck[]>> = {
  bpm: [
    { field: "device_id", check: "id" },
    { field: "time", check: "epoch" },
    { field: "heartrate", check: "numberOrNull" },
  ],
  workout: [
    { field: "user_id", check: "id" },
    { field: "workout_id", check: "id" },
    { field: "session_id", check: "id" },
    { field: "timestamp", check: "epoch" },
    { field: "action", check: { enum: ["start", "stop"] } },
  ],
  user_info: [
    { field: "user_id", check: "id" },
    { field: "update_type", check: { enum: ["new", "update", "delete"] } },
    { field: "timestamp", check: "epoch" },
    { field: "dob", check: { optionalPattern: "(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/[0-9]{4}", format: "MM/dd/yyyy" } },
    { field: "sex", check: "optionalText" },
    { field: "gender", check: "optionalText" },
    { field: "first_name", check: "optionalText" },
    { field: "last_name", check: "optionalText" },
    { field: "address", check: "optionalObject" },
    { field: "address.street_address", check: "optionalText" },
    { field: "address.city", check: "optionalText" },
    { field: "address.state", check: "optionalText" },
    { field: "address.zip", check: "optionalIdOrText" },
  ],
};

const TOPICS = Object.keys(TOPIC_CHECKS) as StreamTopic[];
const MAX_SAFE_INTEGER = 9007199254740991;

/** The payload's fields for its topic as a LIST of JSON (see above); `topic` and `value` are VARCHAR expressions. */
export function topicPayloadFieldsSql(topic: string, value: string): string {
  const branches = TOPICS.map((t) => `WHEN ${sqlString(t)} THEN TRY(json_extract(${value}, [${TOPIC_CHECKS[t].map((c) => sqlString(`$.${c.field}`)).join(", ")}]))`);
  return `CASE ${topic} ${branches.join(" ")} END`;
}

/** Why the payload fails its topic's schema, or NULL; `fields` is the column holding `topicPayloadFieldsSql`. */
export function topicPayloadReasonSql(topic: string, fields: string): string {
  const branches = TOPICS.map((t) => {
    const checks = TOPIC_CHECKS[t].map(({ field, check }, i) => {
      const x = `${fields}[${i + 1}]`;
      return `WHEN ${failsSql(x, check)} THEN ${sqlString(`${t} schema: ${field} ${expectation(check)}`)}`;
    });
    return `WHEN ${sqlString(t)} THEN CASE WHEN ${fields} IS NULL THEN ${sqlString(`${t} schema: value is not JSON`)} ${checks.join(" ")} END`;
  });
  return `CASE ${topic} ${branches.join(" ")} END`;
}

const isNumber = (x: string) => `json_type(${x}) IN ('UBIGINT', 'BIGINT', 'DOUBLE')`;
const number = (x: string) => `TRY_CAST(${x} AS DOUBLE)`;
const isText = (x: string) => `json_type(${x}) = 'VARCHAR'`;
const text = (x: string) => `json_extract_string(${x}, '$')`;
const absent = (x: string) => `(${x} IS NULL OR json_type(${x}) = 'NULL')`;
const notId = (x: string) => `NOT (${isNumber(x)} AND ${number(x)} >= 0 AND ${number(x)} <= ${MAX_SAFE_INTEGER} AND ${number(x)} = trunc(${number(x)}))`;

/** SQL true when JSON value `x` (NULL: the field is missing) fails `check`. Each CASE branch sees earlier ones false. */
function failsSql(x: string, check: Check): string {
  if (typeof check === "object") {
    if ("enum" in check) return `${x} IS NULL OR NOT ${isText(x)} OR ${text(x)} NOT IN (${check.enum.map(sqlString).join(", ")})`;
    return `NOT ${absent(x)} AND NOT (${isText(x)} AND regexp_full_match(${text(x)}, ${sqlString(check.optionalPattern)}))`;
  }
  switch (check) {
    case "id":
      return `${x} IS NULL OR ${notId(x)}`;
    case "epoch":
      return `${x} IS NULL OR NOT (${isNumber(x)} AND ${number(x)} >= 0 AND ${number(x)} < 1e11)`;
    case "numberOrNull":
      return `${x} IS NULL OR NOT (json_type(${x}) = 'NULL' OR (${isNumber(x)} AND isfinite(${number(x)})))`;
    case "optionalText":
      return `NOT ${absent(x)} AND NOT ${isText(x)}`;
    case "optionalObject":
      return `NOT ${absent(x)} AND json_type(${x}) <> 'OBJECT'`;
    case "optionalIdOrText":
      return `NOT ${absent(x)} AND NOT ${isText(x)} AND ${notId(x)}`;
  }
}

function expectation(check: Check): string {
  if (typeof check === "object") return "enum" in check ? `must be one of ${check.enum.join(", ")}` : `must be ${check.format} or null`;
  switch (check) {
    case "id":
      return "must be a non-negative integer";
    case "epoch":
      return "must be epoch seconds: a non-negative number below 1e11";
    case "numberOrNull":
      return "must be a finite number or null";
    case "optionalText":
      return "must be a string or null";
    case "optionalObject":
      return "must be an object or null";
    case "optionalIdOrText":
      return "must be a non-negative integer, a string or null";
  }
}
