import type { CompiledTable } from "../compile/graph.js";

/**
 * The BigQuery label an incremental table declares its semantics version with (`bigquery: { labels: { pulse_semantics:
 * "2" } }` in its config). The author bumps it when a rule change makes the rows already stored wrong under the new
 * definition (e.g. a different completion watermark), which an incremental run would never revisit. A label, not a
 * custom config key: both the official compiler and pulse's accept it and carry it in the compiled graph, and on
 * BigQuery `dataform run` puts it on the table itself.
 */
export const SEMANTICS_LABEL = "pulse_semantics";

/** A table that declares no version has version 1, as has a table built before pulse recorded versions. */
export const UNVERSIONED = "1";

export function declaredSemantics(table: CompiledTable): string {
  return table.bigquery?.labels?.[SEMANTICS_LABEL] ?? UNVERSIONED;
}

/**
 * Why an existing incremental table must be rebuilt rather than merged into: its rows were built under another
 * semantics version than its definition declares. Undefined when the versions agree or nothing was recorded to compare.
 */
export function semanticsChange(table: CompiledTable, built: string | undefined): string | undefined {
  if (table.enumType !== "INCREMENTAL" || built === undefined) return undefined;
  const declared = declaredSemantics(table);
  if (declared === built) return undefined;
  return `its stored rows were built under semantics version ${built} and the definition now declares version ${declared} (label ${SEMANTICS_LABEL})`;
}
