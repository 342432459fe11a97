import { createHash } from "node:crypto";
import type { CompiledGraph } from "./graph.js";

/**
 * Identifies what a run executes: every action's compiled SQL, targets and dependencies, the unit tests, and the
 * vars the project compiled with. Two compiles hash alike exactly when they would run the same statements, so
 * the promotion gate can tell whether qa tested what prod is about to run. The local (DuckDB) graph is hashed:
 * it carries no environment's BigQuery mapping, so qa and prod hash alike when their code and vars agree.
 */
export function graphHash(graph: CompiledGraph): string {
  const identity = {
    tables: graph.tables ?? [],
    assertions: graph.assertions ?? [],
    operations: graph.operations ?? [],
    declarations: graph.declarations ?? [],
    tests: graph.tests ?? [],
    vars: Object.entries(graph.projectConfig.vars ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}
