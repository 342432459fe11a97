import { AS_RENDERED, type Column } from "../adapters/adapter.js";
import type { CompiledGraph, Target } from "../compile/graph.js";
import { planAction, type PlanContext } from "../plan/planAction.js";
import type { ActionState } from "../plan/steps.js";
import { executableActions, executableDependencies, type ExecutableAction } from "../select/actions.js";
import type { AnalysisUnit } from "./zetasqlTool.js";

/** What a statement of a unit is, so an error can name its action, file and step. */
export interface StatementInfo {
  label: string;
  sql: string;
}

/** A unit sent to the analyzer plus what the report needs to say where it came from. */
export interface CheckUnit extends AnalysisUnit {
  action: string;
  fileName?: string;
  /** Which statements of the action: pulse's full refresh or incremental plan, or the official CLI's. */
  form: string;
  info: StatementInfo[];
}

const bigqueryName = (target: Target) => `\`${[target.database, target.schema, target.name].filter(Boolean).join(".")}\``;

function context(fullRefresh: boolean): PlanContext {
  return { dialect: "bigquery", fullRefresh, relation: bigqueryName, translation: AS_RENDERED };
}

/** Executable actions, each after the actions it depends on (the order `dataform run` may take). */
export function dependencyOrder(graph: CompiledGraph): ExecutableAction[] {
  const all = executableActions(graph);
  const ordered: ExecutableAction[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new Error(`dependency cycle through ${name}`);
    state.set(name, "visiting");
    const action = all.get(name)!;
    for (const dependency of executableDependencies(action, all)) visit(dependency);
    state.set(name, "done");
    ordered.push(action);
  };
  for (const name of all.keys()) visit(name);
  return ordered.filter((a) => !a.action.disabled);
}

function unit(action: ExecutableAction, form: string, info: StatementInfo[], isolated: boolean, after: string[]): CheckUnit {
  return { id: `${form}:${action.name}`, action: action.name, fileName: action.action.fileName, form, info, statements: info.map((s) => s.sql), isolated, after };
}

/** Every SQL text a plan sends: each step's statement, the sample an expectation fetches on failure, the row count. */
function planStatements(action: ExecutableAction, state: ActionState, fullRefresh: boolean): StatementInfo[] {
  const plan = planAction(action, state, context(fullRefresh));
  const info: StatementInfo[] = [];
  for (const step of plan.steps) {
    info.push({ label: step.label, sql: step.sql });
    if (step.kind === "expectEmpty") info.push({ label: `${step.label} (sample)`, sql: step.sampleSql });
  }
  if (plan.rowCountSql) info.push({ label: "row count", sql: plan.rowCountSql });
  return info;
}

const FULL = "pulse full refresh";
const INCREMENTAL = "pulse incremental";

/**
 * pulse's statements for a first (or full-refresh) run, in dependency order. They update the analyzer's
 * catalog, so each table's inferred columns are there for the actions that read it. An action whose
 * dependency failed is reported as skipped rather than with a cascade of "table not found".
 */
export function fullRefreshUnits(order: ExecutableAction[]): CheckUnit[] {
  const all = new Map(order.map((a) => [a.name, a]));
  return order.map((action) =>
    unit(
      action,
      FULL,
      planStatements(action, {}, true),
      false,
      executableDependencies(action, all).map((d) => `${FULL}:${d}`),
    ),
  );
}

/**
 * pulse's statements for an incremental run of each incremental table, given the columns its full build
 * produced. Each runs on a copy of the catalog: its temp batch table lives only in that action's session.
 */
export function incrementalUnits(order: ExecutableAction[], columns: Map<string, Column[]>): CheckUnit[] {
  const units: CheckUnit[] = [];
  for (const action of order) {
    if (action.kind !== "table" || action.action.enumType !== "INCREMENTAL") continue;
    const existing = columns.get(action.name);
    if (!existing) continue;
    const state: ActionState = { existing: { kind: "table", columns: existing }, incrementalColumns: existing };
    units.push(unit(action, INCREMENTAL, planStatements(action, state, false), true, [`${FULL}:${action.name}`]));
  }
  return units;
}
