import type { LocalWarehouse } from "../localWarehouse.js";
import type { RunSummary } from "../execute/results.js";
import { counts } from "../execute/results.js";
import { sqlString } from "../../lake/sqlText.js";
import { SECRET_HINT, redactCommandLine } from "./redactCommand.js";

/** Where run history lives in the warehouse, beside the project's own schemas. */
export const HISTORY_SCHEMA = "pulse_meta";

export function literal(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  return sqlString(value);
}

const CREATE_RUNS = `create table if not exists ${HISTORY_SCHEMA}.runs (
  run_id varchar primary key, started_at timestamp, finished_at timestamp, status varchar,
  command varchar, full_refresh boolean, actions integer, succeeded integer, failed integer, skipped integer)`;

const CREATE_ACTION_RESULTS = `create table if not exists ${HISTORY_SCHEMA}.action_results (
  run_id varchar, action varchar, type varchar, mode varchar, status varchar, rows bigint,
  seconds double, error varchar, skipped_because varchar)`;

// Added after the first release of the table: older warehouses gain the column on their next run.
const ADD_LAKE_SNAPSHOT = `alter table ${HISTORY_SCHEMA}.runs add column if not exists lake_snapshot bigint`;
// The promotion gate compares it with the graph the next environment would run (runner/compile/graphHash.ts).
const ADD_GRAPH_HASH = `alter table ${HISTORY_SCHEMA}.runs add column if not exists graph_hash varchar`;

/**
 * Command lines stored before they were redacted (older pulse versions) are redacted in place. Rows already
 * redacted hold `***`, and lines with nothing that looks secret are left to SQL, so a history of thousands of
 * runs costs one filtered scan per run.
 */
async function redactStoredCommands(adapter: LocalWarehouse): Promise<void> {
  const stored = await adapter.query(`select run_id, command from ${HISTORY_SCHEMA}.runs where command not like '%***%' and regexp_matches(command, ${literal(SECRET_HINT.source)}, 'i')`);
  for (const row of stored) {
    const redacted = redactCommandLine(String(row.command));
    if (redacted !== row.command) await adapter.execute(`update ${HISTORY_SCHEMA}.runs set command = ${literal(redacted)} where run_id = ${literal(String(row.run_id))}`);
  }
}

/** Records a finished run and each action's result, so past runs can be queried with SQL. */
export async function recordRun(
  adapter: LocalWarehouse,
  summary: RunSummary,
  meta: {
    command: string;
    fullRefresh: boolean;
    /** Lake commit clock (µs) of the bronze this run read. */
    lakeSnapshot?: bigint;
    /** graphHash of the compiled graph the run executed. */
    graphHash?: string;
  },
): Promise<void> {
  const tally = counts(summary.results);
  await adapter.ensureSchema(undefined, HISTORY_SCHEMA);
  await adapter.execute(CREATE_RUNS);
  await adapter.execute(CREATE_ACTION_RESULTS);
  await adapter.execute(ADD_LAKE_SNAPSHOT);
  await adapter.execute(ADD_GRAPH_HASH);
  await redactStoredCommands(adapter);
  const status = tally.failed > 0 ? "failed" : "success";
  await adapter.execute(
    `insert into ${HISTORY_SCHEMA}.runs (run_id, started_at, finished_at, status, command, full_refresh, actions, succeeded, failed, skipped, lake_snapshot, graph_hash) values (${[
      literal(summary.runId),
      `timestamp ${literal(summary.startedAt.toISOString().replace("T", " ").replace("Z", ""))}`,
      `timestamp ${literal(summary.finishedAt.toISOString().replace("T", " ").replace("Z", ""))}`,
      literal(status),
      literal(meta.command),
      literal(meta.fullRefresh),
      literal(summary.results.length),
      literal(tally.success),
      literal(tally.failed),
      literal(tally.skipped),
      meta.lakeSnapshot === undefined ? "null" : meta.lakeSnapshot.toString(),
      literal(meta.graphHash),
    ].join(", ")})`,
  );
  if (summary.results.length === 0) return;
  const rows = summary.results.map(
    (r) =>
      `(${[literal(summary.runId), literal(r.name), literal(r.type), literal(r.mode), literal(r.status), literal(r.rows), literal(Math.round(r.seconds * 1000) / 1000), literal(r.error), literal(r.skippedBecause)].join(", ")})`,
  );
  await adapter.execute(`insert into ${HISTORY_SCHEMA}.action_results values ${rows.join(",\n")}`);
}
