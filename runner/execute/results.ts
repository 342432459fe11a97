import type { ActionPlan, ActionType } from "../plan/steps.js";

export type ActionStatus = "success" | "failed" | "skipped" | "disabled";

export interface ActionResult {
  name: string;
  type: ActionType;
  status: ActionStatus;
  mode?: ActionPlan["mode"];
  /** Why the mode differs from the one asked for (ActionPlan.note). */
  note?: string;
  /** Rows written (tables), changed (incremental) or returned (failing assertions). */
  rows?: number;
  seconds: number;
  error?: string;
  /** Why an action was skipped: the failed or skipped dependency. */
  skippedBecause?: string;
  plan?: ActionPlan;
  /**
   * A dry run on a warehouse that bills by bytes (BigQuery): what the action's statements would process, and how
   * many statements had no estimate (the engine gave none, or the statement reads what an earlier action builds).
   */
  bytes?: { processed: number; unestimated: number };
}

export interface RunSummary {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  dryRun: boolean;
  results: ActionResult[];
}

export function counts(results: ActionResult[]): Record<ActionStatus, number> {
  const tally: Record<ActionStatus, number> = { success: 0, failed: 0, skipped: 0, disabled: 0 };
  for (const result of results) tally[result.status]++;
  return tally;
}

export function runFailed(summary: RunSummary): boolean {
  return summary.results.some((r) => r.status === "failed");
}
