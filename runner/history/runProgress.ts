import fs from "node:fs";
import { z } from "zod";
import { homePaths } from "../../lib/home.js";
import { isProcessAlive } from "../../lib/fileLock.js";
import type { ActionResult } from "../execute/results.js";

/**
 * The run in progress, as a file beside the warehouse: a run holds DuckDB's file lock until it ends, so no
 * other process can read its history before then. `pulse serve` reads this file to show actions finishing live.
 */
const ActionProgress = z.object({
  status: z.enum(["running", "success", "failed", "skipped", "disabled"]),
  startedAt: z.string().optional(),
  seconds: z.number().optional(),
  rows: z.number().optional(),
  error: z.string().optional(),
  skippedBecause: z.string().optional(),
});
export const RunProgress = z.object({
  pid: z.number().int(),
  command: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  actions: z.record(z.string(), ActionProgress),
});
export type RunProgress = z.infer<typeof RunProgress>;

const WRITE_INTERVAL_MS = 250;

/**
 * Records a run's action events into `$PULSE_HOME/<env>/run-progress.json`; each write replaces the file by rename.
 * Events are written at most every WRITE_INTERVAL_MS (the last one always): on ext4 a rename over a file waits for
 * its data to reach the disk, and one write per event (two per action) held the run's thread 0.2-0.4 s of a 4 s
 * incremental run.
 */
export class RunProgressWriter {
  private readonly state: RunProgress;
  private readonly file: string;
  private lastWrite = 0;
  private pending: NodeJS.Timeout | undefined;

  constructor(home: string, command: string) {
    this.file = homePaths(home).runProgress;
    this.state = { pid: process.pid, command, startedAt: new Date().toISOString(), actions: {} };
    this.write();
  }

  onProgress(event: { phase: "start" | "end"; name: string; result?: ActionResult }): void {
    const result = event.result;
    this.state.actions[event.name] =
      event.phase === "start" || !result
        ? { status: "running", startedAt: new Date().toISOString() }
        : { status: result.status, seconds: result.seconds, rows: result.rows, error: result.error, skippedBecause: result.skippedBecause };
    if (this.pending) return;
    const wait = this.lastWrite + WRITE_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.write();
    this.pending = setTimeout(() => this.write(), wait);
    this.pending.unref();
  }

  finish(): void {
    this.state.finishedAt = new Date().toISOString();
    this.write();
  }

  private write(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    this.lastWrite = performance.now();
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.state));
      fs.renameSync(tmp, this.file);
    } catch {
      // Progress is for watchers only: a full disk must not fail the run itself.
    }
  }
}

/** The last run's progress, with `live` true while its process still runs it; undefined without a readable file. */
export function readRunProgress(home: string): (RunProgress & { live: boolean }) | undefined {
  let text: string;
  try {
    text = fs.readFileSync(homePaths(home).runProgress, "utf8");
  } catch {
    return undefined;
  }
  const parsed = RunProgress.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  return { ...parsed.data, live: parsed.data.finishedAt === undefined && isProcessAlive(parsed.data.pid) };
}
