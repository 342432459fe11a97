import fs from "node:fs";
import { targetName, type CompiledGraph } from "../runner/compile/graph.js";
import { graphHash } from "../runner/compile/graphHash.js";
import { HISTORY_SCHEMA, literal } from "../runner/history/runHistory.js";
import { latestUnitTests } from "../runner/history/unitTestResults.js";
import { queryLocalWarehouse } from "../runner/queryWarehouse.js";

export interface GateRequest {
  /** The source environment's name and state folder (`<PULSE_HOME>/<from>`). */
  from: string;
  fromHome: string;
  /** The catalog the warehouse is attached under (the project's defaultProject). */
  database: string;
  /** The graph the target environment would run (local compile with the target's vars). */
  graph: CompiledGraph;
  lockTimeoutSeconds: number;
}

export interface GateVerdict {
  graphHash: string;
  /** Empty: promotion may proceed. Otherwise every reason it may not, each with what to do. */
  refusals: string[];
}

/**
 * The promotion gate: the target may run `graph` only if the source's last run executed this same graph
 * (graphHash: compiled SQL and vars), every enabled assertion of the graph passed in that run, and a complete
 * `pulse test` of this graph passed in the source environment. Reads the source's state, never writes it.
 */
export async function checkPromotion(request: GateRequest): Promise<GateVerdict> {
  const hash = graphHash(request.graph);
  const short = hash.slice(0, 12);
  const refusals: string[] = [];
  const lastRun = fs.existsSync(request.fromHome) ? await lastRecordedRun(request) : undefined;
  if (!lastRun) {
    refusals.push(`${request.from} has no recorded run: run 'pulse run --env ${request.from}' with this graph first`);
  } else if (lastRun.graphHash !== hash) {
    const ran = lastRun.graphHash ? `graph ${lastRun.graphHash.slice(0, 12)}` : "a graph recorded without a hash (an older pulse)";
    refusals.push(
      `${request.from}'s last run (${lastRun.runId}, ${lastRun.startedAt}) ran ${ran}, not graph ${short} that would be promoted (the SQL or vars changed): run 'pulse run --env ${request.from}' again`,
    );
  } else {
    const statuses = await assertionStatuses(request, lastRun.runId);
    for (const assertion of (request.graph.assertions ?? []).filter((a) => !a.disabled)) {
      const name = targetName(assertion.target);
      const status = statuses.get(name);
      if (status !== "success") refusals.push(`assertion ${name} ${status === undefined ? "did not run" : status} in ${request.from}'s last run (${lastRun.runId})`);
    }
  }
  const tests = latestUnitTests(request.fromHome, hash);
  if (!tests) refusals.push(`'pulse test --env ${request.from}' has not been run on graph ${short}`);
  else if (tests.failed.length > 0) refusals.push(`'pulse test --env ${request.from}' failed on graph ${short} (${tests.at}): ${tests.failed.join(", ")}`);
  return { graphHash: hash, refusals };
}

interface LastRun {
  runId: string;
  startedAt: string;
  graphHash: string | undefined;
}

async function rows(request: GateRequest, sql: string): Promise<Record<string, unknown>[]> {
  const [result] = await queryLocalWarehouse({ home: request.fromHome, database: request.database, sql, write: false, lockTimeoutSeconds: request.lockTimeoutSeconds });
  return result?.rows ?? [];
}

async function lastRecordedRun(request: GateRequest): Promise<LastRun | undefined> {
  const [exists] = await rows(request, `select count(*) as n from information_schema.tables where table_schema = ${literal(HISTORY_SCHEMA)} and table_name = 'runs'`);
  if (Number(exists?.n ?? 0) === 0) return undefined;
  // select *: a history written by an older pulse has no graph_hash column.
  const [last] = await rows(request, `select * from ${HISTORY_SCHEMA}.runs order by started_at desc limit 1`);
  if (!last) return undefined;
  return { runId: String(last.run_id), startedAt: String(last.started_at), graphHash: typeof last.graph_hash === "string" ? last.graph_hash : undefined };
}

async function assertionStatuses(request: GateRequest, runId: string): Promise<Map<string, string>> {
  const found = await rows(request, `select action, status from ${HISTORY_SCHEMA}.action_results where run_id = ${literal(runId)} and type = 'assertion'`);
  return new Map(found.map((row) => [String(row.action), String(row.status)]));
}
