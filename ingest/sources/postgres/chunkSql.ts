import { BRONZE_DATA_COLUMNS } from "../../../lake/bronzeTables.js";
import { sqlIdentifier, sqlString, sqlTimestampMicros } from "../../../lake/sqlText.js";
import { csvLayout, type CsvFeed } from "../../landing/landingFeeds.js";
import { CURSOR_FIELD, KEY_FIELD, cursorFromText } from "./copySql.js";
import type { CursorKind } from "./sourceTable.js";

/**
 * One COPY chunk file, checked and deduplicated, as rows to stage: `_source` (`postgres:<schema>.<table>#<key>`),
 * `_source_line` (the cursor), the data columns typed, `reason` (NULL for a good row) and `raw` (the row as JSON,
 * for dead letters). Row versions already in the lake (`seenTable`: the overlap window) are left out. PostgreSQL's
 * types already hold integers and text; what remains to check is what a CSV line could also get wrong: required
 * fields empty, and numbers that are not finite (double precision allows NaN and ±Infinity).
 */
export function checkedChunkSql(feed: CsvFeed, cursorKind: CursorKind, file: string, prefix: string, seenTable: string): string {
  const fields = csvLayout(feed).fields;
  const readColumns = [`'${KEY_FIELD}': 'VARCHAR'`, `'${CURSOR_FIELD}': 'VARCHAR'`, ...fields.map((f) => `${sqlString(f.name)}: ${sqlString(f.duckdbType)}`)];
  const problems = fields.flatMap((f) => {
    const name = sqlIdentifier(f.name);
    return [...(f.required ? [`WHEN ${name} IS NULL THEN '${f.name} is empty'`] : []), ...(f.duckdbType === "DOUBLE" ? [`WHEN NOT isfinite(${name}) THEN '${f.name} must be a finite number'`] : [])];
  });
  const typed = fields.map((f) => sqlIdentifier(f.name));
  const rawJson = `to_json(struct_pack(${[KEY_FIELD, ...fields.map((f) => f.name)].map((n) => `${sqlIdentifier(n)} := ${sqlIdentifier(n)}`).join(", ")}))::VARCHAR`;
  return `
    WITH chunk AS (
      SELECT ${sqlString(prefix)} || ${KEY_FIELD} AS _source, ${cursorFromText(cursorKind, CURSOR_FIELD)} AS _source_line, * EXCLUDE (${CURSOR_FIELD})
      FROM read_csv(${sqlString(file)}, columns = {${readColumns.join(", ")}}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"')
    ),
    fresh AS (SELECT * FROM chunk ANTI JOIN ${sqlIdentifier(seenTable)} AS seen USING (_source, _source_line)),
    checked AS (SELECT *, CASE ${problems.length > 0 ? problems.join(" ") : "WHEN false THEN NULL"} END AS reason FROM fresh)
    SELECT _source, _source_line, reason, CASE WHEN reason IS NOT NULL THEN ${rawJson} END AS raw, ${typed.join(", ")} FROM checked`;
}

/** The bronze rows (data columns plus provenance) of a staged checked chunk's good rows. */
export function chunkBronzeSelect(feed: CsvFeed, staged: string): string {
  return `SELECT ${BRONZE_DATA_COLUMNS[feed].map((c) => sqlIdentifier(c.name)).join(", ")}, _source, _source_line FROM ${sqlIdentifier(staged)} WHERE reason IS NULL`;
}

/** bronze.dead_letters rows of a staged checked chunk's bad rows: source = `_source`, line = the cursor value. */
export function chunkDeadLetterSelect(feed: CsvFeed, staged: string, deadLetteredAtMicros: bigint): string {
  return `SELECT _source AS source, ${sqlString(feed)} AS feed, _source_line AS line, encode(raw) AS raw, reason,
      ${sqlTimestampMicros(deadLetteredAtMicros)} AS dead_lettered_at, _source, _source_line
    FROM ${sqlIdentifier(staged)} WHERE reason IS NOT NULL`;
}
