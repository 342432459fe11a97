import { targetName, type CompiledAssertion, type CompiledGraph, type CompiledOperation, type CompiledTable } from "../compile/graph.js";

export type ExecutableAction =
  { kind: "table"; name: string; action: CompiledTable } | { kind: "operation"; name: string; action: CompiledOperation } | { kind: "assertion"; name: string; action: CompiledAssertion };

/** Every action `dataform run` can execute, keyed by its full name, in the graph's order. */
export function executableActions(graph: CompiledGraph): Map<string, ExecutableAction> {
  const actions = new Map<string, ExecutableAction>();
  for (const action of graph.tables ?? []) actions.set(targetName(action.target), { kind: "table", name: targetName(action.target), action });
  for (const action of graph.operations ?? []) actions.set(targetName(action.target), { kind: "operation", name: targetName(action.target), action });
  for (const action of graph.assertions ?? []) actions.set(targetName(action.target), { kind: "assertion", name: targetName(action.target), action });
  return actions;
}

/** Names of the actions an action depends on that are themselves executable (declarations are not). */
export function executableDependencies(action: ExecutableAction, all: Map<string, ExecutableAction>): string[] {
  return (action.action.dependencyTargets ?? []).map(targetName).filter((name) => all.has(name));
}
