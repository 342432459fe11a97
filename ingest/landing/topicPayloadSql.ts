import { sqlString } from "../../lake/sqlText.js";
import type { StreamTopic } from "../schemas/topics.js";
import { PLAIN_PAYLOAD } from "../schemas/plainPayloads.js";

/**
 * The stream path's per-topic payload checks (zod schemas in ingest/schemas/topics.ts, applied by validate.ts) as
 * SQL, so an envelope in a landing file passes exactly the checks the same message would pass from Kafka: a 10 MB
 * string where bpm wants a number is a dead letter on both paths, not a NULL in silver.
 * The two are kept in agreement by tests/adversarial/landingPayloads.test.ts, which runs the zod schemas, the fast
 * path and the line-by-line path over the same payloads. Topics without a schema are not checked (the stream path
 * never subscribes to them). One known difference: a JSON object with a repeated key is read by JavaScript with the
 * last value and by DuckDB with the first.
 *
 * The payload is parsed once per row, by `from_json` into a struct of its topic's fields, each as JSON text (NULL when
 * the field is missing or JSON null; a text that is not JSON makes the struct NULL). DuckDB prints that text back in
 * a normal form (`"st\u0061rt"` reads `"start"`, `-0` reads `0`), so the checks are cheap string tests and one cast
 * to DOUBLE, not further JSON parses. Measured on bench/landing.ts: a list of `json_extract` paths with `json_type`
 * per field nearly doubled the load's CPU per row; this costs a fraction of that.
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

/** A struct type of `checks`' top-level fields as JSON, in from_json's notation. */
function structOf(checks: readonly FieldCheck[]): string {
  return sqlString(JSON.stringify(Object.fromEntries(checks.filter((c) => !c.field.includes(".")).map((c) => [c.field, "JSON"]))));
}

/** The column holding `topic`'s parsed payload (see topicPayloadFieldsSql). */
const fieldsColumn = (topic: StreamTopic) => `payload_${topic}`;

/**
 * `payload_plain`: whether the payload is valid by its shape alone (see PLAIN_PAYLOAD). Matching a shape costs half of
 * parsing the payload and checking its fields (0.4 against 0.8 µs of CPU per row), and bpm is nearly all of the rows. Select it one query level
 * below `topicPayloadFieldsSql`, which reads it: in the same level DuckDB would evaluate it once per use.
 * `topic` and `value` are VARCHAR expressions, `guard` a condition without which `value` is not evaluated.
 */
export function topicPayloadPlainSql(topic: string, value: string, guard = "true"): string {
  const shapes = Object.entries(PLAIN_PAYLOAD).map(([t, pattern]) => `WHEN ${sqlString(t)} THEN regexp_full_match(${value}, ${sqlString(pattern)})`);
  return `CASE WHEN ${guard} THEN CASE ${topic} ${shapes.join(" ")} ELSE false END ELSE false END AS payload_plain`;
}

/**
 * One column per topic with a schema, `payload_<topic>`: the payload's fields on that topic's rows, NULL on others
 * and on plain payloads (so each row is parsed once at most, by its own topic's struct). Arguments as for
 * topicPayloadPlainSql, whose column it reads.
 */
export function topicPayloadFieldsSql(topic: string, value: string, guard = "true"): string {
  return TOPICS.map((t) => `CASE WHEN ${guard} AND NOT payload_plain AND ${topic} = ${sqlString(t)} THEN TRY(from_json(${value}, ${structOf(TOPIC_CHECKS[t])})) END AS ${fieldsColumn(t)}`).join(", ");
}

/**
 * Why the payload fails its topic's schema, or NULL; reads the columns of `topicPayloadPlainSql` and
 * `topicPayloadFieldsSql`, and `value` (a
 * VARCHAR expression) only to tell a missing field from a JSON null where the schema does.
 */
export function topicPayloadReasonSql(topic: string, value: string): string {
  const branches = TOPICS.map((t) => {
    const fields = fieldsColumn(t);
    const checks = TOPIC_CHECKS[t].map(({ field, check }) => {
      const [parent, child] = field.split(".");
      // A nested field is read from its parent object's text, which the parent's own check saw first.
      const x = child === undefined ? `${fields}.${parent}` : `json_extract(${fields}.${parent}, ${sqlString(`$.${child}`)})`;
      const guard = child === undefined ? "" : `starts_with(${fields}.${parent}, '{') AND `;
      return `WHEN ${guard}(${failsSql(x, check, `$.${field}`, value)}) THEN ${sqlString(`${t} schema: ${field} ${expectation(check)}`)}`;
    });
    return `WHEN ${sqlString(t)} THEN CASE WHEN ${fields} IS NULL THEN ${sqlString(`${t} schema: value is not a JSON object`)} ${checks.join(" ")} END`;
  });
  return `CASE WHEN payload_plain THEN NULL ELSE CASE ${topic} ${branches.join(" ")} END END`;
}

const number = (x: string) => `TRY_CAST(CAST(${x} AS VARCHAR) AS DOUBLE)`;
const isText = (x: string) => `starts_with(${x}, '"')`;
const notId = (x: string) => `coalesce(NOT (${number(x)} BETWEEN 0 AND ${MAX_SAFE_INTEGER} AND ${number(x)} = trunc(${number(x)})), true)`;

/**
 * SQL true when the JSON text `x` (NULL: missing or JSON null) fails `check`. `path` and `value` serve the one check
 * that tells missing from null. A JSON text is a number exactly when it casts to DOUBLE.
 */
function failsSql(x: string, check: Check, path: string, value: string): string {
  if (typeof check === "object") {
    if ("enum" in check) return `${x} IS NULL OR ${x} NOT IN (${check.enum.map((v) => sqlString(JSON.stringify(v))).join(", ")})`;
    return `${x} IS NOT NULL AND NOT regexp_full_match(${x}, ${sqlString(`"${check.optionalPattern}"`)})`;
  }
  switch (check) {
    case "id":
      return `${x} IS NULL OR ${notId(x)}`;
    case "epoch":
      return `${x} IS NULL OR coalesce(NOT (${number(x)} >= 0 AND ${number(x)} < 1e11), true)`;
    case "numberOrNull":
      return `CASE WHEN ${x} IS NULL THEN NOT json_exists(${value}, ${sqlString(path)}) ELSE coalesce(NOT isfinite(${number(x)}), true) END`;
    case "optionalText":
      return `${x} IS NOT NULL AND NOT ${isText(x)}`;
    case "optionalObject":
      return `${x} IS NOT NULL AND NOT starts_with(${x}, '{')`;
    case "optionalIdOrText":
      return `${x} IS NOT NULL AND NOT ${isText(x)} AND ${notId(x)}`;
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
