import type { Column, Dialect } from "../adapters/adapter.js";
import * as sql from "./sql.js";
import { PlanError, type Step } from "./steps.js";

export type OnSchemaChange = "IGNORE" | "FAIL" | "EXTEND" | "SYNCHRONIZE";

/**
 * Reconciles an incremental table with the columns of its new batch, per Dataform's `onSchemaChange`:
 * IGNORE writes only the table's existing columns; FAIL stops when the batch adds or drops a column;
 * EXTEND adds new columns and, as on BigQuery, stops when the batch drops one; SYNCHRONIZE adds new
 * columns and drops the ones the batch no longer has, except uniqueKey columns, which BigQuery refuses.
 */
export function schemaChangeSteps(
  dialect: Dialect,
  relation: string,
  mode: OnSchemaChange,
  tableColumns: Column[],
  batchColumns: Column[],
  uniqueKey: string[] = [],
): { steps: Step[]; resultColumns: Column[] } {
  const tableNames = new Set(tableColumns.map((c) => c.name));
  const batchNames = new Set(batchColumns.map((c) => c.name));
  const added = batchColumns.filter((c) => !tableNames.has(c.name));
  const removed = tableColumns.filter((c) => !batchNames.has(c.name));
  if (mode === "IGNORE" || (added.length === 0 && removed.length === 0)) return { steps: [], resultColumns: tableColumns };
  if (mode === "FAIL") {
    const parts = [added.length ? `new column(s) ${added.map((c) => c.name).join(", ")}` : "", removed.length ? `missing column(s) ${removed.map((c) => c.name).join(", ")}` : ""].filter(Boolean);
    throw new PlanError(`onSchemaChange FAIL: the incremental query's schema changed: ${parts.join("; ")}`);
  }
  if (mode === "EXTEND" && removed.length > 0) {
    throw new PlanError(`onSchemaChange EXTEND does not allow column removals: missing column(s) ${removed.map((c) => c.name).join(", ")}`);
  }
  const removedKeys = removed.filter((c) => uniqueKey.includes(c.name));
  if (removedKeys.length > 0) {
    throw new PlanError(`onSchemaChange SYNCHRONIZE cannot drop uniqueKey column(s) ${removedKeys.map((c) => c.name).join(", ")}`);
  }
  const steps: Step[] = added.map((c) => ({ kind: "sql", label: "schema change: add column", sql: sql.addColumn(dialect, relation, c) }));
  let resultColumns = [...tableColumns, ...added];
  if (mode === "SYNCHRONIZE") {
    steps.push(...removed.map((c): Step => ({ kind: "sql", label: "schema change: drop column", sql: sql.dropColumn(dialect, relation, c.name) })));
    resultColumns = resultColumns.filter((c) => batchNames.has(c.name));
  }
  return { steps, resultColumns };
}
