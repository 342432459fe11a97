import type { StatusRow } from "../ingest/ingestStatus.js";
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
  /** One row per topic or subscription of each running ingest process. */
  ingest: IngestStream[];
  stale: boolean;
}

/** A running ingest's topic (Kafka) or subscription (Pub/Sub), its partitions summed. */
export interface IngestStream {
  source: string;
  /** Kafka: the consumer group; Pub/Sub: the project. */
  name: string;
  stream: string;
  partitions: number;
  /** Messages not yet in the lake, as the ingest process measured at its last flush; null before it knows. */
  lag: number | null;
  deadLetters: number;
  lastFlush: string | null;
}

/** The running processes' rows of `pulse ingest status`, one per stream; stopped processes are history, not lag. */
export function runningIngest(rows: StatusRow[]): IngestStream[] {
  const streams = new Map<string, IngestStream>();
  for (const row of rows.filter((r) => r.running)) {
    const key = `${row.source}\u0000${row.name}\u0000${row.stream}`;
    const seen = streams.get(key);
    if (!seen) {
      streams.set(key, { source: row.source, name: row.name, stream: row.stream, partitions: 1, lag: row.lag, deadLetters: row.deadLetters, lastFlush: row.lastFlush });
      continue;
    }
    seen.partitions += 1;
    seen.lag = seen.lag === null || row.lag === null ? (seen.lag ?? row.lag) : seen.lag + row.lag;
  }
  return [...streams.values()];
}

const optionalNumber = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
const optionalString = (value: unknown) => (value === null || value === undefined ? undefined : String(value));

/** Each action's newest result from history, overlaid with the live run's events while it runs. */
export function pipelineStatus(history: { lastResults: Rows; runs: Rows; stale: boolean }, progress: (RunProgress & { live: boolean }) | undefined, ingest: IngestStream[] = []): PipelineStatus {
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
    ingest,
    stale: history.stale,
  };
}
