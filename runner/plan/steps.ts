import type { Column, RelationInfo } from "../adapters/adapter.js";

/**
 * One thing the executor does for an action, in order. Every step carries its full SQL so a dry run
 * can print exactly what a real run would execute.
 */
export type Step =
  /** `writesRows`: the rows this statement changes are the action's rows (not those of pre/post operations). */
  | { kind: "sql"; label: string; sql: string; writesRows?: boolean }
  /** Runs `sql` (a count) and fails the action when it returns a count above zero. */
  | { kind: "expectEmpty"; label: string; sql: string; sampleSql: string; failure: string };

export type ActionType = "table" | "view" | "incremental" | "operations" | "assertion";

export interface ActionPlan {
  name: string;
  type: ActionType;
  /** How a table is materialized on this run; absent for operations and assertions. */
  mode?: "create" | "replace" | "incremental" | "full-refresh";
  steps: Step[];
  /** Why the action runs in a mode other than the one asked for (an incremental table rebuilt in full). */
  note?: string;
  /**
   * Run the steps in one transaction (rolled back if one fails). DuckDB incremental actions: a table whose batch is
   * appended and whose post-operation deletes the rows it replaced (includes/dialect.js mergeKey) must never keep
   * the one without the other, and neither may a pre-operation's delete stay without its batch.
   */
  transaction?: boolean;
  /** Counts the rows of the built relation, for the report, when the build statement cannot say. */
  rowCountSql?: string;
}

/** What the warehouse looks like for one action just before it runs. */
export interface ActionState {
  /** The action's own relation, if it exists. */
  existing?: RelationInfo;
  /** The columns the incremental query produces, when the action will run incrementally. */
  incrementalColumns?: Column[];
  /** The semantics version the existing table was built under, where the warehouse records it (see semantics.ts). */
  builtSemantics?: string;
}

export class PlanError extends Error {}
