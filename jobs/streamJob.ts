import { loadLandingOnce } from "../ingest/landing/loadLanding.js";
import type { IngestService } from "../ingest/ingestService.js";
import type { RunRequest } from "../runner/runProject.js";
import { percentile, watchRuns, watchStatusLine } from "./watchRuns.js";

export interface StreamJobOptions {
  /** Starts the stream ingest service; absent for the landing source alone. The landing zone is polled before each run either way. */
  startIngest?: () => Promise<IngestService>;
  run: Omit<RunRequest, "afterRun" | "dryRun">;
  intervalMs: number;
  log: (line: string) => void;
}

/**
 * `pulse stream`: ingest and an incremental run of the graph every interval, in one supervised process.
 * SIGINT/SIGTERM (or an ingest failure) stops the run loop after its current run, then drains and stops
 * the ingest service. Exit code 0 only if the ingest stopped cleanly and no run failed.
 */
export async function runStreamJob(options: StreamJobOptions): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let ingestFailure: Error | undefined;
  const service = options.startIngest ? await options.startIngest() : undefined;
  service?.failed.catch((error: unknown) => {
    ingestFailure = error instanceof Error ? error : new Error(String(error));
    options.log(`ingest failed: ${ingestFailure.message}`);
    controller.abort();
  });
  options.log(`stream: ${service ? "ingesting the stream and polling" : "polling"} the landing zone; an incremental run every ${options.intervalMs / 1000}s; Ctrl-C to stop`);
  const status = await watchRuns({
    request: {
      ...options.run,
      // Registrations and gym logins arrive as files whatever the stream source: each tick loads what landed since the last one.
      beforeRun: async () => void (await loadLandingOnce(options.run.home)),
    },
    intervalMs: options.intervalMs,
    signal: controller.signal,
    onRun: (summary, current) => options.log(watchStatusLine(summary, current)),
    onError: (error) => options.log(`run failed to start: ${error.message}`),
  });
  process.removeListener("SIGINT", stop);
  process.removeListener("SIGTERM", stop);
  const forced = () => process.exit(130);
  process.once("SIGINT", forced);
  process.once("SIGTERM", forced);
  options.log("stopping: draining ingest, flushing and committing");
  const stoppedCleanly = service ? await service.stop() : true;
  const p95 = percentile(status.freshnessHistory, 0.95);
  options.log(`stopped after ${status.runs} run(s), ${status.failedRuns} failed${Number.isNaN(p95) ? "" : `; freshness p95 ${p95.toFixed(1)}s`}`);
  return stoppedCleanly && !ingestFailure && status.failedRuns === 0 ? 0 : 1;
}
