import type { WarehouseAdapter } from "../adapters/adapter.js";
import { targetName, type CompiledGraph } from "../compile/graph.js";
import type { ActionResult } from "../execute/results.js";
import { declaredSemantics } from "../plan/semantics.js";
import { HISTORY_SCHEMA, literal } from "./runHistory.js";

// The semantics version (runner/plan/semantics.ts) each incremental table of the warehouse was built under, so
// the next run can tell a table whose stored rows follow rules its definition no longer has.

const CREATE = `create table if not exists ${HISTORY_SCHEMA}.table_semantics (
  action varchar primary key, semantics varchar, recorded_at timestamp)`;

/**
 * Action name → the version its table was built under. A table with no entry was built before pulse recorded
 * versions, i.e. under version 1 (the caller's default).
 */
export async function readTableSemantics(adapter: WarehouseAdapter): Promise<Map<string, string>> {
  const [found] = await adapter.query(`select count(*) as n from information_schema.tables where table_schema = '${HISTORY_SCHEMA}' and table_name = 'table_semantics'`);
  if (Number(found?.n ?? 0) === 0) return new Map();
  const rows = await adapter.query(`select action, semantics from ${HISTORY_SCHEMA}.table_semantics`);
  return new Map(rows.map((r) => [String(r.action), String(r.semantics)]));
}

/** Records the declared version of every incremental table this run built or merged into successfully. */
export async function recordTableSemantics(adapter: WarehouseAdapter, graph: CompiledGraph, results: ActionResult[]): Promise<void> {
  const tables = new Map((graph.tables ?? []).map((t) => [targetName(t.target), t]));
  const built = results.filter((r) => r.status === "success" && r.type === "incremental" && r.mode !== undefined && tables.has(r.name));
  if (built.length === 0) return;
  await adapter.ensureSchema(undefined, HISTORY_SCHEMA);
  await adapter.execute(CREATE);
  const values = built.map((r) => `(${literal(r.name)}, ${literal(declaredSemantics(tables.get(r.name)!))}, current_timestamp)`);
  await adapter.execute(`insert or replace into ${HISTORY_SCHEMA}.table_semantics values ${values.join(", ")}`);
}
