import { NameTranslator, graphTargets } from "../runner/adapters/duckdb/names.js";
import { targetName, type CompiledGraph, type ColumnDescriptor, type Target } from "../runner/compile/graph.js";

/** One relation or assertion of the compiled graph, as the pages show it. */
export interface CatalogEntry {
  /** Full name, as run history records it (`pulse.silver.heart_rate`). */
  name: string;
  /** `schema.name`, as the URL and `pulse query` spell it. */
  shortName: string;
  target: Target;
  kind: "declaration" | "table" | "view" | "incremental" | "operation" | "assertion";
  layer: string;
  tags: string[];
  description: string;
  columns: ColumnDescriptor[];
  uniqueKey: string[];
  fileName?: string;
  /** Compiled SQL for the warehouse (the full-build query of an incremental table). */
  query?: string;
  dependencies: string[];
  /** For an assertion: the table it checks (its parent, else its first dependency). */
  checks?: string;
}

interface Described {
  actionDescriptor?: { description?: string; columns?: ColumnDescriptor[] };
}

export function shortName(target: Target): string {
  return `${target.schema ?? ""}.${target.name}`;
}

/** The graph's relations and assertions, in the graph's order, declarations first; queries with DuckDB names. */
export function catalog(graph: CompiledGraph): CatalogEntry[] {
  const translator = new NameTranslator(graphTargets(graph));
  const entry = (target: Target, rest: Omit<CatalogEntry, "name" | "shortName" | "target" | "layer">): CatalogEntry => ({
    name: targetName(target),
    shortName: shortName(target),
    target,
    layer: target.schema ?? "",
    ...rest,
  });
  const describe = (a: Described) => ({ description: a.actionDescriptor?.description ?? "", columns: a.actionDescriptor?.columns ?? [] });
  return [
    ...(graph.declarations ?? []).map((d) => entry(d.target, { kind: "declaration", tags: [], ...describe(d as Described), uniqueKey: [], fileName: d.fileName, dependencies: [] })),
    ...(graph.tables ?? []).map((t) =>
      entry(t.target, {
        kind: t.enumType === "VIEW" ? "view" : t.enumType === "INCREMENTAL" ? "incremental" : "table",
        tags: t.tags ?? [],
        ...describe(t),
        uniqueKey: t.uniqueKey ?? [],
        fileName: t.fileName,
        query: t.query === undefined ? undefined : translator.translate(t.query),
        dependencies: (t.dependencyTargets ?? []).map(targetName),
      }),
    ),
    ...(graph.operations ?? []).map((o) =>
      entry(o.target, {
        kind: "operation",
        tags: o.tags ?? [],
        ...describe(o as Described),
        uniqueKey: [],
        fileName: o.fileName,
        query: o.queries?.map((q) => translator.translate(q)).join(";\n"),
        dependencies: (o.dependencyTargets ?? []).map(targetName),
      }),
    ),
    ...(graph.assertions ?? []).map((a) => {
      const dependencies = (a.dependencyTargets ?? []).map(targetName);
      return entry(a.target, {
        kind: "assertion",
        tags: a.tags ?? [],
        ...describe(a as Described),
        uniqueKey: [],
        fileName: a.fileName,
        query: a.query === undefined ? undefined : translator.translate(a.query),
        dependencies,
        checks: a.parentAction ? targetName(a.parentAction) : dependencies[0],
      });
    }),
  ];
}

/** The grain sentence of a description ("Grain: ..."), else the unique key. */
export function grainOf(entry: CatalogEntry): string {
  // The sentence ends at a full stop followed by a space (names like silver.x keep theirs).
  const sentence = /Grain:\s*(.*?)(?:\.\s|\.?$)/s.exec(entry.description)?.[1];
  if (sentence) return sentence.trim();
  return entry.uniqueKey.length > 0 ? `one row per (${entry.uniqueKey.join(", ")})` : "";
}
