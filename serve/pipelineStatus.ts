import type { RunProgress } from "../runner/history/runProgress.js";
import type { Rows } from "./warehouseReader.js";

export interface NodeStatus {
  status: "never run" | "running" | "success" | "failed" | "skipped" | "disabled";
  seconds?: number;
  rows?: number;
  error?: string;
  skippedBecause?: string;
  /** When the action last succeeded (ISO), from run history. */
  lastSuccess?: string;
}
export interface PipelineStatus {
  actions: Record<string, NodeStatus>;
  runs: Rows;
  /** The run in progress, if one is: its command and start. */
  live?: { command: string; startedAt: string };
  stale: boolean;
}

const optionalNumber = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
const optionalString = (value: unknown) => (value === null || value === undefined ? undefined : String(value));

/** Each action's newest result from history, overlaid with the live run's events while it runs. */
export function pipelineStatus(history: { lastResults: Rows; runs: Rows; stale: boolean }, progress: (RunProgress & { live: boolean }) | undefined): PipelineStatus {
  const actions: Record<string, NodeStatus> = {};
  for (const row of history.lastResults) {
    actions[String(row.action)] = {
      status: String(row.status) as NodeStatus["status"],
      seconds: optionalNumber(row.seconds),
      rows: optionalNumber(row.rows),
      error: optionalString(row.error),
      skippedBecause: optionalString(row.skipped_because),
      lastSuccess: optionalString(row.last_success),
    };
  }
  if (progress?.live) {
    for (const [name, event] of Object.entries(progress.actions)) {
      actions[name] = { ...event, lastSuccess: event.status === "success" ? new Date().toISOString() : actions[name]?.lastSuccess };
    }
  }
  return {
    actions,
    runs: history.runs,
    live: progress?.live ? { command: progress.command, startedAt: progress.startedAt } : undefined,
    stale: history.stale,
  };
}
