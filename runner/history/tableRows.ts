import type { WarehouseAdapter } from "../adapters/adapter.js";
import { targetName, type CompiledGraph, type CompiledTable, type Target } from "../compile/graph.js";
import { HISTORY_SCHEMA } from "./runHistory.js";

/**
 * Row counts of incremental tables as the last finished run left them. An incremental run only adds and
 * merges: rows deleted outside pulse (`pulse query --write`, another client) never come back, so a table
 * that holds fewer rows than the last run left is reported instead of being built on.
 */
const CREATE_TABLE_ROWS = `create table if not exists ${HISTORY_SCHEMA}.table_rows (
  action varchar primary key, rows bigint, run_id varchar)`;

export interface RecordedRows {
  rows: number;
  runId: string;
}

export interface Shrunk extends RecordedRows {
  now: number;
}

function incrementalTables(graph: CompiledGraph): CompiledTable[] {
  return (graph.tables ?? []).filter((t) => t.enumType === "INCREMENTAL" && !t.disabled);
}

/** Rows now, of the incremental tables that exist. */
async function countRows(adapter: WarehouseAdapter, graph: CompiledGraph): Promise<Map<string, number>> {
  const tables = incrementalTables(graph);
  const existing = await adapter.describeRelations(
    tables.map((t) => t.target),
    { columns: false },
  );
  const counts = new Map<string, number>();
  for (const table of tables) {
    const name = targetName(table.target);
    if (existing.get(name)?.kind !== "table") continue;
    const [row] = await adapter.query(`select count(*) as n from ${adapter.relationName(table.target)}`);
    counts.set(name, Number(row?.n ?? 0));
  }
  return counts;
}

/**
 * The counts the last finished run recorded, removed as they are read: a run that dies part-way (after a
 * delete, before its merge) leaves none, so the next run cannot mistake its half-done work for tampering.
 * Returns the incremental tables holding fewer rows now, and what was recorded.
 */
export async function takeRecordedRows(adapter: WarehouseAdapter, graph: CompiledGraph): Promise<Map<string, Shrunk>> {
  await adapter.ensureSchema(undefined, HISTORY_SCHEMA);
  await adapter.execute(CREATE_TABLE_ROWS);
  const rows = await adapter.query(`select action, rows, run_id from ${HISTORY_SCHEMA}.table_rows`);
  await adapter.execute(`delete from ${HISTORY_SCHEMA}.table_rows`);
  const recorded = new Map(rows.map((r) => [String(r.action), { rows: Number(r.rows), runId: String(r.run_id) }]));
  const shrunk = new Map<string, Shrunk>();
  if (recorded.size === 0) return shrunk;
  for (const [name, now] of await countRows(adapter, graph)) {
    const before = recorded.get(name);
    if (before && now < before.rows) shrunk.set(name, { ...before, now });
  }
  return shrunk;
}

/**
 * Records the counts this run leaves. A table found shrunk and not rebuilt keeps its old count, so every run
 * reports it until a full refresh repairs it.
 */
export async function recordTableRows(adapter: WarehouseAdapter, graph: CompiledGraph, runId: string, keep: Map<string, RecordedRows>): Promise<void> {
  const values = [...(await countRows(adapter, graph))].map(([name, now]) => {
    const kept = keep.get(name);
    return `('${name.replace(/'/g, "''")}', ${kept ? kept.rows : now}, '${(kept ? kept.runId : runId).replace(/'/g, "''")}')`;
  });
  if (values.length > 0) await adapter.execute(`insert or replace into ${HISTORY_SCHEMA}.table_rows values ${values.join(", ")}`);
}

/**
 * The selected shrunk tables this run would build incrementally (a full refresh rebuilds them; a protected
 * table never is), each with its report: the command that rebuilds it and what was built from it.
 */
export function shrunkRefusals(graph: CompiledGraph, selected: Set<string>, shrunk: Map<string, Shrunk>, fullRefresh: boolean, repairCommand: (target: Target) => string): Map<string, string> {
  const n = (value: number) => value.toLocaleString("en-US");
  const refusals = new Map<string, string>();
  for (const table of incrementalTables(graph)) {
    const name = targetName(table.target);
    const found = shrunk.get(name);
    if (!found || !selected.has(name) || (fullRefresh && !table.protected)) continue;
    refusals.set(
      name,
      `${name} holds ${n(found.now)} rows, ${n(found.rows - found.now)} fewer than the ${n(found.rows)} the last run left (run ${found.runId}): ` +
        `rows were removed outside pulse, and incremental runs never bring them back. Repair: ${repairCommand(table.target)}`,
    );
  }
  return refusals;
}
