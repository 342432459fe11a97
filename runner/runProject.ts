import { randomUUID } from "node:crypto";
import path from "node:path";
import { homePaths } from "../lib/home.js";
import { UserError } from "../lib/errors.js";
import type { WarehouseAdapter } from "./adapters/adapter.js";
import { BigQueryAdapter, createBigQueryClient } from "./adapters/bigquery/bigqueryAdapter.js";
import type { BigQueryClientLike } from "./adapters/bigquery/bigqueryClient.js";
import { compileIdentity, compileProject, projectSignature, type ProjectConfigOverride } from "./compile/compile.js";
import { cachedCompile } from "./compile/graphCache.js";
import { targetName, type CompiledGraph, type Target } from "./compile/graph.js";
import { graphHash } from "./compile/graphHash.js";
import { appendAudit, auditLogQuery, statementHash } from "../access/auditLog.js";
import { DEFAULT_ENVIRONMENT } from "../access/policyFile.js";
import { executeGraph, type ExecuteOptions } from "./execute/executeGraph.js";
import type { RunSummary } from "./execute/results.js";
import { HISTORY_SCHEMA, recordRun } from "./history/runHistory.js";
import { readTableSemantics, recordTableSemantics } from "./history/tableSemantics.js";
import { recordTableRows, shrunkRefusals, takeRecordedRows, type Shrunk } from "./history/tableRows.js";
import { redactCommandLine } from "./history/redactCommand.js";
import { RunProgressWriter } from "./history/runProgress.js";
import { openLocalWarehouse, refreshLocalWarehouse, type LocalWarehouse } from "./localWarehouse.js";
import { releaseWarehouse, type HeldWarehouse, type KeptWarehouse } from "./keptWarehouse.js";
import { serveReads } from "./readServer.js";
import { acquireFileLock } from "../lib/fileLock.js";
import { renderIncrementalTests, withIncrementalTests } from "./unitTest/incrementalTests.js";
import { selectActions, type Selection } from "./select/select.js";

/** Where a run executes: the embedded DuckDB (default) or BigQuery through @google-cloud/bigquery. */
export type RunTarget =
  | { warehouse: "duckdb" }
  | {
      warehouse: "bigquery";
      projectId: string;
      location?: string;
      client?: BigQueryClientLike;
      maximumBytesBilled?: number;
      /** The environment's BigQuery mapping (default database, schema suffix, table prefix), as `dataform run` flags give it. */
      mapping?: ProjectConfigOverride;
    };

export interface RunRequest {
  target?: RunTarget;
  projectDir: string;
  home: string;
  selection: Selection;
  vars: Record<string, string>;
  fullRefresh: boolean;
  dryRun: boolean;
  concurrency?: number;
  lockTimeoutSeconds?: number;
  /** What the user ran (argv joined by spaces); stored redacted (redactCommandLine) in the history and the lock file. */
  command: string;
  onProgress?: ExecuteOptions["onProgress"];
  onLockWait?: (holder: { pid: number; command: string }) => void;
  /** The environment the home belongs to, for the audit log (default dev). */
  environment?: string;
  /**
   * Keep the warehouse open after the run, for the next run of this process (`run --watch`, `stream`); the caller
   * releases it. Ignored by dry runs and BigQuery.
   */
  keep?: KeptWarehouse;
  /** Runs after the actions, on the still-open warehouse and under the run lock (e.g. to print results). */
  afterRun?: (warehouse: LocalWarehouse, summary: RunSummary) => Promise<void>;
}

let lastCompile: { key: string; graph: CompiledGraph } | undefined;

/**
 * Compiles for a warehouse: includes/ helpers read `pulse_warehouse` to render its dialect. Unit tests of
 * incremental tables, which core refuses, are rendered by pulse instead of failing the compile.
 */
export function compileFor(warehouse: "duckdb" | "bigquery", projectDir: string, vars: Record<string, string>, override: ProjectConfigOverride = {}): CompiledGraph {
  // Long-running loops (`run --watch`, `stream`) compile once and again only when a source file changes:
  // each compile costs ~0.2 s, and about 1 MB of heap that V8 does not give back.
  const key = JSON.stringify([warehouse, projectDir, vars, override, projectSignature(projectDir)]);
  if (lastCompile?.key === key) return lastCompile.graph;
  const graph = cachedCompile(compileIdentity(warehouse, projectDir, vars, override), () => {
    let session: unknown;
    const compiled = compileProject(projectDir, { ...override, vars: { ...vars, pulse_warehouse: warehouse } }, { inspectSession: (s) => (session = s) });
    const rendered = withIncrementalTests(compiled.graph, renderIncrementalTests(session));
    // A graph with errors is thrown, never cached.
    assertCompiled(rendered);
    return { graph: rendered, inputFiles: compiled.inputFiles, readClock: compiled.readClock };
  });
  lastCompile = { key, graph };
  return graph;
}

/** A graph with compilation errors never runs: the errors are reported with their files. */
export function assertCompiled(graph: CompiledGraph): void {
  const errors = graph.graphErrors?.compilationErrors ?? [];
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.fileName ?? "(project)"}: ${e.message ?? "unknown error"}`);
    throw new UserError(`compilation failed with ${errors.length} error(s):\n${lines.join("\n")}`, 1);
  }
}

/**
 * Runs on BigQuery: the project compiles as the official CLI compiles it (BigQuery dialect), with the
 * GCP project as default database. No local lock or history: BigQuery keeps its own job history.
 */
async function runOnBigQuery(request: RunRequest, target: BigQueryTarget): Promise<{ summary: RunSummary; graph: CompiledGraph }> {
  const { graph, adapter } = await openBigQuery(request.projectDir, request.vars, target);
  const summary = await executeRun(graph, selectActions(graph, request.selection), adapter, request, new Date());
  return { summary, graph };
}

export type BigQueryTarget = Extract<RunTarget, { warehouse: "bigquery" }>;

/** The project compiled as the official CLI compiles it for BigQuery, with the GCP project as default database, and an adapter there. */
export async function openBigQuery(projectDir: string, vars: Record<string, string>, target: BigQueryTarget): Promise<{ graph: CompiledGraph; adapter: BigQueryAdapter }> {
  const graph = compileFor("bigquery", projectDir, vars, { defaultDatabase: target.projectId, ...(target.location ? { defaultLocation: target.location } : {}), ...target.mapping });
  const client = target.client ?? (await createBigQueryClient(target.projectId, target.location));
  const adapter = new BigQueryAdapter({ client, projectId: target.projectId, location: target.location ?? graph.projectConfig.defaultLocation, maximumBytesBilled: target.maximumBytesBilled });
  return { graph, adapter };
}

/** select → plan + execute: the part every warehouse shares. */
async function executeRun(
  graph: CompiledGraph,
  selected: Set<string>,
  adapter: WarehouseAdapter,
  request: RunRequest,
  startedAt: Date,
  state: Pick<ExecuteOptions, "builtSemantics" | "refuse" | "translation"> = {},
): Promise<RunSummary> {
  const results = await executeGraph(graph, selected, adapter, {
    ...state,
    fullRefresh: request.fullRefresh,
    dryRun: request.dryRun,
    concurrency: request.concurrency ?? 4,
    onProgress: request.onProgress,
  });
  return { runId: randomUUID(), startedAt, finishedAt: new Date(), dryRun: request.dryRun, results };
}

/** The exact command that rebuilds `target` and everything built from it; an environment's home is `<PULSE_HOME>/<env>` (environments/envHome.ts). */
function repairCommand(target: Target, request: RunRequest): string {
  const quote = (text: string) => (/^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  return `npx pulse run --actions ${quote(`${target.schema}.${target.name}`)} --include-dependents --full-refresh --project ${quote(request.projectDir)} --home ${quote(path.dirname(request.home))} --env ${quote(path.basename(request.home))}`;
}

/** `dataset.table` of everything the selected actions read, for the audit log. */
function readByActions(graph: CompiledGraph, selected: Set<string>): string[] {
  const actions = [...(graph.tables ?? []), ...(graph.operations ?? []), ...(graph.assertions ?? [])].filter((a) => selected.has(targetName(a.target)));
  return [...new Set(actions.flatMap((a) => (a.dependencyTargets ?? []).map((t) => `${t.schema}.${t.name}`)))].sort();
}

/** Opens the local warehouse for a run of `graph`: the run lock first (none for a dry run), then the file and its read server. */
async function openForRun(request: RunRequest, graph: CompiledGraph, command: string): Promise<HeldWarehouse> {
  const lock = request.dryRun
    ? undefined
    : await acquireFileLock(homePaths(request.home).runLock, {
        command,
        what: "the warehouse (--lock-timeout)",
        timeoutSeconds: request.lockTimeoutSeconds ?? 600,
        onWait: request.onLockWait,
        ask: true,
      });
  try {
    const adapter = await openLocalWarehouse({ home: request.home, graph, readOnly: request.dryRun, connections: request.concurrency });
    const readers = request.dryRun ? undefined : await serveReads(adapter, homePaths(request.home).querySocket);
    return { graph, adapter, lock, readers };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** compile → select → plan + execute on the warehouse → record. */
export async function runProject(request: RunRequest): Promise<{ summary: RunSummary; graph: CompiledGraph }> {
  if (request.target?.warehouse === "bigquery") return runOnBigQuery(request, request.target);
  const graph = compileFor("duckdb", request.projectDir, request.vars);
  // Selection errors (unknown --actions) surface before waiting for the lock.
  const selected = selectActions(graph, request.selection);
  const command = redactCommandLine(request.command);
  const kept = request.dryRun ? undefined : request.keep;
  const held = kept
    ? await kept.take(
        graph,
        () => openForRun(request, graph, command),
        (h) => refreshLocalWarehouse(h.adapter, { home: request.home, graph }),
      )
    : await openForRun(request, graph, command);
  const adapter = held.adapter;
  const startedAt = new Date();
  const progress = request.dryRun ? undefined : new RunProgressWriter(request.home, command);
  let completed = false;
  try {
    const onProgress: RunRequest["onProgress"] = progress
      ? (event) => {
          progress.onProgress(event);
          request.onProgress?.(event);
        }
      : request.onProgress;
    const shrunk = request.dryRun ? new Map<string, Shrunk>() : await takeRecordedRows(adapter, graph);
    const refuse = shrunkRefusals(graph, selected, shrunk, request.fullRefresh, (target) => repairCommand(target, request));
    const builtSemantics = await readTableSemantics(adapter);
    const summary = await executeRun(graph, selected, adapter, { ...request, onProgress }, startedAt, { builtSemantics, refuse, translation: adapter.translation });
    if (!request.dryRun) {
      await recordRun(adapter, summary, { command, fullRefresh: request.fullRefresh, lakeSnapshot: adapter.lakeSnapshotMicros, graphHash: graphHash(graph) });
      // A shrunk table keeps its old count until a successful full build replaces it.
      const rebuilt = new Set(summary.results.filter((r) => r.status === "success" && r.mode !== "incremental").map((r) => r.name));
      await recordTableRows(adapter, graph, summary.runId, new Map([...shrunk].filter(([name]) => !rebuilt.has(name))));
      await recordTableSemantics(adapter, graph, summary.results);
      appendAudit(request.home, {
        kind: "run",
        role: null,
        environment: request.environment ?? DEFAULT_ENVIRONMENT,
        statementHash: statementHash(command),
        tablesRead: readByActions(graph, selected),
        allowed: true,
      });
      // A view in the file, so readers see the log as pulse_meta.audit_log; the run recreates it as it does bronze's views.
      await adapter.execute(`create or replace view ${HISTORY_SCHEMA}.audit_log as ${auditLogQuery(request.home)}`);
    }
    await request.afterRun?.(adapter, summary);
    completed = true;
    return { summary, graph };
  } finally {
    progress?.finish();
    if (kept) await kept.settle(completed);
    else await releaseWarehouse(held);
  }
}
