import { targetName, type CompiledGraph, type Target } from "../../compile/graph.js";
import { sqlIdentifier } from "../../../lake/sqlText.js";
import type { SqlTranslation } from "../adapter.js";

/** Every relation the graph names: actions, declarations and tests' targets. */
export function graphTargets(graph: CompiledGraph): Target[] {
  return [
    ...(graph.tables ?? []).map((a) => a.target),
    ...(graph.operations ?? []).map((a) => a.target),
    ...(graph.assertions ?? []).map((a) => a.target),
    ...(graph.declarations ?? []).map((a) => a.target),
    ...(graph.targets ?? []),
  ];
}

/**
 * Maps the names Dataform renders for BigQuery (`` `db.schema.name` ``, also `` `schema.name` `` when a
 * target has no database) to DuckDB's `"db"."schema"."name"`. Only names of targets in the compiled
 * graph are rewritten; anything else in backticks is left alone so DuckDB reports it, rather than pulse
 * guessing what it meant.
 */
export class NameTranslator {
  private readonly replacements = new Map<string, string>();
  private readonly pattern: RegExp | undefined;

  constructor(targets: Target[]) {
    for (const target of targets) {
      this.replacements.set(`\`${targetName(target)}\``, relationName(target));
    }
    const keys = [...this.replacements.keys()].sort((a, b) => b.length - a.length);
    this.pattern = keys.length > 0 ? new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g") : undefined;
  }

  translate(sql: string): string {
    if (!this.pattern) return sql;
    return sql.replace(this.pattern, (match) => this.replacements.get(match) ?? match);
  }
}

export function relationName(target: Target): string {
  return [target.database, target.schema, target.name]
    .filter((part): part is string => part !== undefined && part !== "")
    .map(sqlIdentifier)
    .join(".");
}

/** DuckDB's reading of Dataform's BigQuery SQL: the graph's names (none without a graph) and DuckDB's string escapes. */
export function duckdbTranslation(translator: NameTranslator | undefined): SqlTranslation {
  const names = (sql: string) => (translator ? translator.translate(sql) : sql);
  // Built-in rowConditions assertions quote each condition in a string literal with BigQuery's \' escape;
  // DuckDB strings escape a quote by doubling it.
  return { names, builtInAssertion: (sql) => names(sql).replaceAll("\\'", "''") };
}
