import type { LocalWarehouse } from "../runner/localWarehouse.js";
import { counts, runFailed, type RunSummary } from "../runner/execute/results.js";
import { failureDetails } from "../runner/execute/report.js";
import { runProject, type RunRequest } from "../runner/runProject.js";
import { HISTORY_SCHEMA } from "../runner/history/runHistory.js";
import { KAFKA_MILLIS_THRESHOLD } from "../lake/kafkaTimestamp.js";
import { sleep } from "../lib/sleep.js";
import { homePaths } from "../lib/home.js";
import { KeptWarehouse } from "../runner/keptWarehouse.js";

export interface WatchStatus {
  runs: number;
  failedRuns: number;
  /** `cpuSeconds`: of this process (DuckDB's threads included), from the start of the run to its end. */
  lastRun?: { finishedAt: Date; seconds: number; cpuSeconds: number; failed: boolean; rowsChanged: number };
  /**
   * The last run's worst-case freshness: from the oldest produce time (the message timestamp in
   * bronze.kafka_multiplex) among the messages that run made visible, to the end of the run. Unset when it
   * made none visible.
   */
  freshnessSeconds?: number;
  /** Freshness of every run that made messages visible, for percentiles. */
  freshnessHistory: number[];
}

export interface WatchOptions {
  request: Omit<RunRequest, "afterRun" | "dryRun"> & {
    /** Runs before each graph run (e.g. loading the landing zone); a failure counts as a failed run. */
    beforeRun?: () => Promise<void>;
  };
  intervalMs: number;
  signal: AbortSignal;
  onRun?: (summary: RunSummary, status: WatchStatus) => void;
  onError?: (error: Error) => void;
}

/**
 * Freshness is only meaningful for live produce times; replayed messages keep their historical timestamps
 * (`pulse produce` without `--timestamps send`, landing files), which would swamp it.
 */
const MAX_MEANINGFUL_FRESHNESS_SECONDS = 86_400;

/** The lake snapshot the latest recorded run before `runId` read: where this process's first run picks up. */
async function previousSnapshot(warehouse: LocalWarehouse, runId: string): Promise<bigint> {
  const [row] = await warehouse.query(`select max(lake_snapshot) as snapshot from ${HISTORY_SCHEMA}.runs where run_id <> '${runId}'`);
  return row?.snapshot === null || row?.snapshot === undefined ? 0n : BigInt(row.snapshot as string | number | bigint);
}

/**
 * Epoch ms of the oldest message committed to the lake after `sinceMicros` (and so first visible in this run),
 * or undefined if there is none. One small query: a constant bound on the commit time lets DuckDB skip every
 * older lake file by its name, and only the timestamp column is read.
 */
async function oldestNewlyVisible(warehouse: LocalWarehouse, sinceMicros: bigint): Promise<number | undefined> {
  const millis = `CASE WHEN "timestamp" >= ${KAFKA_MILLIS_THRESHOLD} THEN "timestamp" ELSE "timestamp" * 1000 END`;
  const [row] = await warehouse.query(`select min(${millis}) as oldest from bronze.kafka_multiplex where _ingested_at > make_timestamp(${sinceMicros})`);
  return row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest);
}

/**
 * `pulse run --watch`: an incremental run of the graph every interval until the signal aborts, finishing
 * the run in progress first. A failed run is reported and the loop goes on: the next interval retries.
 * The warehouse stays open from one run to the next (runner/keptWarehouse.ts) unless another process asks for it.
 */
export async function watchRuns(options: WatchOptions): Promise<WatchStatus> {
  const status: WatchStatus = { runs: 0, failedRuns: 0, freshnessHistory: [] };
  const kept = new KeptWarehouse(homePaths(options.request.home).runLock);
  // The previous run's lake snapshot: what this run makes visible is what was committed after it.
  let since: bigint | undefined;
  try {
    while (!options.signal.aborted) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      let oldest: number | undefined;
      try {
        await kept.giveUpIfWanted();
        await options.request.beforeRun?.();
        const { summary } = await runProject({
          ...options.request,
          dryRun: false,
          keep: kept,
          afterRun: async (warehouse, run) => {
            const snapshot = warehouse.lakeSnapshotMicros;
            if (snapshot === undefined) return;
            since ??= await previousSnapshot(warehouse, run.runId);
            // Freshness is a status figure: failing to read it must not fail the run.
            oldest = await oldestNewlyVisible(warehouse, since).catch(() => undefined);
            since = snapshot;
          },
        });
        status.runs++;
        const failed = runFailed(summary);
        if (failed) status.failedRuns++;
        const rowsChanged = summary.results.filter((r) => r.type !== "assertion" && r.mode === "incremental").reduce((sum, r) => sum + (r.rows ?? 0), 0);
        const cpu = process.cpuUsage(cpuBefore);
        status.lastRun = { finishedAt: summary.finishedAt, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, failed, rowsChanged };
        const freshness = oldest === undefined ? undefined : (summary.finishedAt.getTime() - oldest) / 1000;
        status.freshnessSeconds = freshness !== undefined && freshness >= 0 && freshness < MAX_MEANINGFUL_FRESHNESS_SECONDS ? freshness : undefined;
        if (status.freshnessSeconds !== undefined) status.freshnessHistory.push(status.freshnessSeconds);
        options.onRun?.(summary, status);
      } catch (error) {
        status.failedRuns++;
        options.onError?.(error as Error);
      }
      await idle(Math.max(0, options.intervalMs - (performance.now() - started)), kept, options.signal);
    }
  } finally {
    await kept.release();
  }
  return status;
}

/** How often an idle watcher looks for a process asking for the warehouse: a waiting `pulse run` starts within this. */
const GIVE_UP_POLL_MS = 200;

/** The wait between runs, during which the kept warehouse goes to whoever asks for it. */
async function idle(ms: number, kept: KeptWarehouse, signal: AbortSignal): Promise<void> {
  const until = performance.now() + ms;
  while (!signal.aborted && performance.now() < until) {
    await sleep(Math.min(GIVE_UP_POLL_MS, until - performance.now()), { signal });
    await kept.giveUpIfWanted();
  }
}

export function watchStatusLine(summary: RunSummary, status: WatchStatus): string {
  const tally = counts(summary.results);
  const last = status.lastRun!;
  const parts = [
    `${last.finishedAt.toISOString().slice(11, 19)}Z run #${status.runs}`,
    last.failed ? `FAILED (${tally.failed} failed, ${tally.skipped} skipped)` : `ok (${tally.success} actions)`,
    `${last.seconds.toFixed(2)}s (cpu ${last.cpuSeconds.toFixed(2)}s)`,
    `${last.rowsChanged.toLocaleString("en-US")} incremental rows`,
    status.freshnessSeconds === undefined ? "freshness n/a" : `freshness ${status.freshnessSeconds.toFixed(1)}s (p95 ${percentile(status.freshnessHistory, 0.95).toFixed(1)}s)`,
  ];
  const details = last.failed
    ? `\n${failureDetails(summary.results)
        .map((l) => `  ${l}`)
        .join("\n")}`
    : "";
  return parts.join(" | ") + details;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
