import { AS_RENDERED, type RelationInfo, type SqlTranslation, type WarehouseAdapter, type WarehouseSession } from "../adapters/adapter.js";
import { targetName, type CompiledDeclaration, type CompiledGraph, type Target } from "../compile/graph.js";
import { planAction, runsIncrementally, type PlanContext } from "../plan/planAction.js";
import type { ActionPlan, ActionState, ActionType } from "../plan/steps.js";
import { UNVERSIONED } from "../plan/semantics.js";
import { executableActions, executableDependencies, type ExecutableAction } from "../select/actions.js";
import type { ActionResult } from "./results.js";

export interface ExecuteOptions {
  fullRefresh: boolean;
  dryRun: boolean;
  /** Actions running at once. */
  concurrency: number;
  /** Actions that fail without running, with the reason (e.g. an incremental table that lost rows). */
  refuse?: Map<string, string>;
  /** Called as each action starts and finishes, for progress output. */
  onProgress?: (event: { phase: "start" | "end"; name: string; result?: ActionResult }) => void;
  /** How the engine reads Dataform's BigQuery SQL (default: as rendered). */
  translation?: SqlTranslation;
  /**
   * The semantics version each existing incremental table was built under (runner/history/tableSemantics.ts), on a
   * warehouse that records them; a table absent from it was built under version 1. Unset: nothing is compared.
   */
  builtSemantics?: Map<string, string>;
}

function actionType(action: ExecutableAction): ActionType {
  if (action.kind === "operation") return "operations";
  if (action.kind === "assertion") return "assertion";
  return action.action.enumType === "VIEW" ? "view" : action.action.enumType === "INCREMENTAL" ? "incremental" : "table";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the selected actions in dependency order, independent ones side by side. An action runs once
 * every selected dependency succeeded; a failure skips everything downstream of it. Dependencies that
 * were not selected are taken as already built, as in `dataform run`.
 */
export async function executeGraph(graph: CompiledGraph, selected: Set<string>, adapter: WarehouseAdapter, options: ExecuteOptions): Promise<ActionResult[]> {
  const all = executableActions(graph);
  const declarations = new Map((graph.declarations ?? []).map((d) => [targetName(d.target), d]));
  const context: PlanContext = {
    dialect: adapter.dialect,
    fullRefresh: options.fullRefresh,
    relation: (target) => adapter.relationName(target),
    translation: options.translation ?? AS_RENDERED,
  };
  const order = [...all.keys()].filter((name) => selected.has(name));
  const dependencies = new Map(order.map((name) => [name, executableDependencies(all.get(name)!, all).filter((d) => selected.has(d))]));
  const results = new Map<string, ActionResult>();

  if (!options.dryRun)
    await createSchemas(
      order.map((n) => all.get(n)!),
      adapter,
    );
  // As in `dataform run`, the warehouse state that decides each table's plan is read once, before anything runs.
  const relations = await adapter.describeRelations(
    relationsToDescribe(
      order.map((n) => all.get(n)!),
      declarations,
    ),
  );

  const runOne = async (name: string): Promise<ActionResult> => {
    const action = all.get(name)!;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    if (action.action.disabled) return { name, type: actionType(action), status: "disabled", seconds: 0 };
    const refusal = options.refuse?.get(name);
    if (refusal) return { name, type: actionType(action), status: "failed", seconds: 0, error: refusal };
    options.onProgress?.({ phase: "start", name });
    let plan: ActionPlan | undefined;
    try {
      return await adapter.withSession(async (session) => {
        // A dry run cannot tell a missing source from one the real run provides (the lake's bronze views are
        // only created when the warehouse is opened for writing), so it plans without checking.
        if (!options.dryRun) await checkDeclaredSources(action, declarations, relations, session);
        const built = options.builtSemantics ? (options.builtSemantics.get(name) ?? UNVERSIONED) : undefined;
        const state = await gatherState(action, relations.get(name), built, session, context, options.dryRun);
        plan = planAction(action, state, context);
        const note = plan.note ? { note: plan.note } : {};
        if (options.dryRun) {
          const bytes = session.estimateBytes ? { bytes: await estimatePlan(plan, session.estimateBytes.bind(session)) } : {};
          return { name, type: plan.type, status: "success", mode: plan.mode, ...note, ...bytes, seconds: seconds(), plan };
        }
        const rows = await runSteps(plan, session);
        return { name, type: plan.type, status: "success", mode: plan.mode, ...note, rows, seconds: seconds(), plan };
      });
    } catch (error) {
      const failure = error as Error & { rows?: number };
      return { name, type: plan?.type ?? actionType(action), status: "failed", mode: plan?.mode, rows: failure.rows, seconds: seconds(), error: errorMessage(error), plan };
    }
  };

  const pending = new Set(order);
  const running = new Map<string, Promise<void>>();
  while (pending.size > 0 || running.size > 0) {
    for (const name of [...pending]) {
      const deps = dependencies.get(name)!;
      const blocker = deps.find((d) => {
        const status = results.get(d)?.status;
        return status === "failed" || status === "skipped";
      });
      if (blocker) {
        pending.delete(name);
        const result: ActionResult = { name, type: actionType(all.get(name)!), status: "skipped", seconds: 0, skippedBecause: blocker };
        results.set(name, result);
        options.onProgress?.({ phase: "end", name, result });
        continue;
      }
      if (running.size >= options.concurrency) break;
      if (!deps.every((d) => results.has(d))) continue;
      pending.delete(name);
      running.set(
        name,
        runOne(name).then((result) => {
          results.set(name, result);
          running.delete(name);
          options.onProgress?.({ phase: "end", name, result });
        }),
      );
    }
    if (running.size > 0) await Promise.race(running.values());
    else if (pending.size > 0 && ![...pending].some((n) => dependencies.get(n)!.every((d) => results.has(d)))) {
      throw new Error(`dependency cycle among: ${[...pending].join(", ")}`);
    }
  }
  return order.map((name) => results.get(name)!);
}

async function createSchemas(actions: ExecutableAction[], adapter: WarehouseAdapter): Promise<void> {
  const seen = new Set<string>();
  for (const action of actions) {
    if (action.action.disabled) continue;
    if (action.kind === "operation" && !action.action.hasOutput) continue;
    const { database, schema } = action.action.target;
    if (!schema || seen.has(`${database}.${schema}`)) continue;
    seen.add(`${database}.${schema}`);
    await adapter.ensureSchema(database, schema);
  }
}

/** The relations whose state the run needs: the tables it builds and the declared sources it reads. */
function relationsToDescribe(actions: ExecutableAction[], declarations: Map<string, CompiledDeclaration>): Target[] {
  const targets = new Map<string, Target>();
  for (const action of actions) {
    if (action.kind === "table") targets.set(action.name, action.action.target);
    for (const dependency of action.action.dependencyTargets ?? []) {
      const name = targetName(dependency);
      if (declarations.has(name)) targets.set(name, dependency);
    }
  }
  return [...targets.values()];
}

/** A declaration is a promise that a source exists; an action reading a missing one fails with its name. */
async function checkDeclaredSources(action: ExecutableAction, declarations: Map<string, CompiledDeclaration>, known: Map<string, RelationInfo>, session: WarehouseSession): Promise<void> {
  for (const dependency of action.action.dependencyTargets ?? []) {
    const declaration = declarations.get(targetName(dependency));
    if (!declaration || known.has(targetName(dependency))) continue;
    // Not there before the run; an upstream operation may have created it since.
    if (!(await session.describeRelation(dependency))) {
      throw new Error(`declared source ${targetName(dependency)} does not exist${declaration.fileName ? ` (declared in ${declaration.fileName})` : ""}`);
    }
  }
}

async function gatherState(
  action: ExecutableAction,
  existing: RelationInfo | undefined,
  builtSemantics: string | undefined,
  session: WarehouseSession,
  context: PlanContext,
  dryRun: boolean,
): Promise<ActionState> {
  if (action.kind !== "table") return {};
  const state: ActionState = { existing, ...(existing && builtSemantics !== undefined ? { builtSemantics } : {}) };
  if (runsIncrementally(action.action, state, context.fullRefresh)) {
    const query = context.translation.names(action.action.incrementalQuery ?? action.action.query ?? "");
    try {
      state.incrementalColumns = await session.describeQuery(query);
    } catch (error) {
      // A dry run plans before upstream actions have run; assume the batch keeps the table's columns.
      if (!dryRun) throw error;
      state.incrementalColumns = existing!.columns;
    }
  }
  return state;
}

/** Dry-runs each statement of the plan; one that cannot be estimated yet (it reads what has not been built) counts as unestimated. */
async function estimatePlan(plan: ActionPlan, estimate: (sql: string) => Promise<number | undefined>): Promise<{ processed: number; unestimated: number }> {
  const total = { processed: 0, unestimated: 0 };
  for (const step of plan.steps) {
    const bytes = await estimate(step.sql).catch(() => undefined);
    if (bytes === undefined) total.unestimated += 1;
    else total.processed += bytes;
  }
  return total;
}

async function runSteps(plan: ActionPlan, session: WarehouseSession): Promise<number | undefined> {
  if (!plan.transaction) return runStepsInOrder(plan, session);
  await session.execute("begin transaction");
  try {
    const rows = await runStepsInOrder(plan, session);
    await session.execute("commit");
    return rows;
  } catch (error) {
    // The connection goes back to the pool: it must not stay in the failed transaction.
    await session.execute("rollback").catch(() => undefined);
    throw error;
  }
}

async function runStepsInOrder(plan: ActionPlan, session: WarehouseSession): Promise<number | undefined> {
  let rows: number | undefined;
  for (const step of plan.steps) {
    if (step.kind === "sql") {
      const result = await session.execute(step.sql);
      if (step.writesRows) rows = (rows ?? 0) + (result.rowsChanged ?? 0);
      continue;
    }
    const [row] = await session.query(step.sql);
    const count = Number(row?.row_count ?? 0);
    if (count > 0) {
      const sample = await session.query(step.sampleSql);
      const error = new Error(`${step.failure} (${count} row${count === 1 ? "" : "s"}); first rows: ${JSON.stringify(sample)}`) as Error & { rows?: number };
      error.rows = count;
      throw error;
    }
    if (plan.type === "assertion") rows = 0;
  }
  if (plan.rowCountSql) {
    const [row] = await session.query(plan.rowCountSql);
    rows = Number(row?.row_count ?? 0);
  }
  return rows;
}
