import type { CompiledGraph, CompiledTest, Target } from "../compile/graph.js";

/** Core's refusal, which pulse lifts: the message must match the pinned @dataform/core exactly. */
export const INCREMENTAL_TEST_ERROR = "Running tests on incremental datasets is not yet supported.";

/** The parts of core's (internal) session and builders this module reads; pinned with @dataform/core. */
interface CoreTestBuilder {
  proto: { name: string; fileName?: string; target?: Target };
  testTarget?: Target;
  contextableInputs: Map<string, unknown>;
  contextableQuery: unknown;
}
interface CoreSession {
  tests: Record<string, CoreTestBuilder>;
  indexedActions: { find(target: Target): { contextableQuery?: unknown; proto?: { enumType?: unknown; type?: string } }[] };
}

type Contextable = string | ((context: Record<string, unknown>) => string);

function apply(contextable: unknown, context: Record<string, unknown>): string {
  return typeof contextable === "function" ? (contextable as (c: Record<string, unknown>) => string)(context) : String(contextable ?? "");
}

/**
 * Renders unit tests whose dataset is an incremental table, as Dataform renders tests of tables: the
 * dataset's query (its first-run, non-incremental branch) with every ref() replaced by the test's
 * input, and the expected query as written.
 */
export function renderIncrementalTests(sessionValue: unknown): CompiledTest[] {
  const session = sessionValue as CoreSession;
  const rendered: CompiledTest[] = [];
  for (const test of Object.values(session.tests ?? {})) {
    if (!test.testTarget) continue;
    const [dataset] = session.indexedActions.find(test.testTarget);
    if (!dataset || dataset.proto?.type !== "incremental") continue;
    const inputs = [...test.contextableInputs.entries()].map(([key, contextable]) => ({ target: JSON.parse(key) as Target, contextable }));
    const missing: string[] = [];
    const context: Record<string, unknown> = {};
    const resolve = (...args: unknown[]) => {
      const wanted = refTarget(args);
      const input = inputs.find((i) => i.target.name === wanted.name && (!i.target.schema || !wanted.schema || i.target.schema === wanted.schema));
      if (!input) {
        missing.push(wanted.name);
        return "";
      }
      return `(${apply(input.contextable, context)})`;
    };
    Object.assign(context, {
      ref: resolve,
      resolve,
      self: () => "",
      name: () => test.testTarget!.name,
      schema: () => "",
      database: () => "",
      incremental: () => false,
      when: (condition: boolean, then: string, otherwise = "") => (condition ? then : otherwise),
    });
    const testQuery = apply(dataset.contextableQuery as Contextable, context);
    const expectedOutputQuery = apply(test.contextableQuery as Contextable, {});
    rendered.push({
      name: test.proto.name,
      fileName: test.proto.fileName,
      target: test.proto.target,
      testQuery: missing.length > 0 ? "" : testQuery,
      expectedOutputQuery,
      ...(missing.length > 0 ? { inputError: `no input provided for ${missing.join(", ")}` } : {}),
    });
  }
  return rendered;
}

function refTarget(args: unknown[]): Target {
  if (args.length >= 2) return { schema: String(args[0]), name: String(args[1]) };
  const only = args[0];
  if (typeof only === "object" && only !== null) return only as Target;
  const parts = String(only).split(".");
  return parts.length >= 2 ? { schema: parts[parts.length - 2], name: parts[parts.length - 1]! } : { name: parts[0]! };
}

/** Replaces core's incremental-test errors and empty test entries with pulse's renderings. */
export function withIncrementalTests(graph: CompiledGraph, rendered: CompiledTest[]): CompiledGraph {
  if (rendered.length === 0) return graph;
  const byName = new Map(rendered.map((t) => [t.name, t]));
  const files = new Set(rendered.map((t) => t.fileName));
  const errors = (graph.graphErrors?.compilationErrors ?? []).filter((e) => !(e.message === INCREMENTAL_TEST_ERROR && files.has(e.fileName)));
  return {
    ...graph,
    tests: (graph.tests ?? []).map((t) => byName.get(t.name) ?? t),
    graphErrors: { ...graph.graphErrors, compilationErrors: errors },
  };
}
