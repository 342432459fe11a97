import { sqlString } from "../../lake/sqlText.js";

/** The error a streamed load raises at the first bad line: the file then takes the dead-lettering path. */
export const BAD_LINE_ABORT = "pulse: landing file has bad lines";

/**
 * Which checked rows a bronze select keeps: `skip` drops bad lines (they are dead-lettered separately), `abort`
 * fails the query at the first one, so a file is never half-loaded without its dead letters.
 */
export type BadLines = "skip" | "abort";

/** SQL condition on a checked row's `reason` (a column or expression, NULL for a good line). */
export function goodLines(badLines: BadLines, reason = "reason"): string {
  return badLines === "skip" ? `${reason} IS NULL` : `CASE WHEN ${reason} IS NULL THEN true ELSE error(${sqlString(BAD_LINE_ABORT)}) END`;
}
