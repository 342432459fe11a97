import type { LandingFeed } from "./landingFeeds.js";
import type { SkippedFile } from "./landingZone.js";

export type LandingEvent =
  /** `files` in the landing zone, `newFiles` of them not in the manifest (the ones `loaded` events count). */
  | { kind: "start"; files: number; newFiles: number }
  | { kind: "loading"; file: string; seconds: number }
  | { kind: "loaded"; file: string; rows: number; deadLetters: number; seconds: number; totalRows: number; rowsPerSecond: number; done: number; files: number }
  | { kind: "recovered"; file: string; rows: number; store: string }
  | { kind: "changed"; file: string; detail: string }
  | { kind: "quarantined"; file: string; reason: string; to: string }
  | { kind: "skipped"; file: string; reason: string }
  | { kind: "ignored"; file: string };

export interface LandingSummary {
  /**
   * `complete`: every landing file is loaded (or was before). `incomplete`: the load finished, but files were left
   * unloaded (`skippedFiles`), quarantined, or refused as changed (first reported now); the CLI exits 3.
   */
  outcome: "complete" | "incomplete";
  loaded: string[];
  /** Files already in the manifest and unchanged. */
  skipped: number;
  /** Files left where they are this time, with the reason (still being written, unreadable, vanished, a link). */
  skippedFiles: SkippedFile[];
  /** Files whose batches were committed by a run that crashed before recording them; recorded now, not reloaded. */
  recovered: string[];
  /** Files that changed after they were loaded, reported now: never reloaded. */
  changed: { file: string; detail: string }[];
  /** Changed files reported by an earlier load and not changed since: counted, not reported again. */
  changedBefore: number;
  quarantined: { file: string; reason: string; to: string }[];
  /** Files in a landing folder that are not `*.csv`, `*.json` or their `.gz`. */
  ignored: string[];
  rows: Record<LandingFeed, number>;
  deadLetters: number;
  seconds: number;
}

/** The summary being built during a load, and the events told as it goes. */
export class LandingTally {
  private readonly summary: LandingSummary = {
    outcome: "complete",
    loaded: [],
    skipped: 0,
    skippedFiles: [],
    recovered: [],
    changed: [],
    changedBefore: 0,
    quarantined: [],
    ignored: [],
    rows: { registered_users: 0, gym_logins: 0, kafka_multiplex: 0 },
    deadLetters: 0,
    seconds: 0,
  };
  private totalRows = 0;
  /** The files `loaded` events count to (set by `start`). */
  private newFiles = 0;

  constructor(
    readonly emit: (event: LandingEvent) => void,
    private readonly started: number,
  ) {}

  start(files: number, newFiles: number): void {
    this.newFiles = newFiles;
    this.emit({ kind: "start", files, newFiles });
  }

  loaded(file: string, feed: LandingFeed, rows: number, deadLetters: number, seconds: number): void {
    const s = this.summary;
    s.loaded.push(file);
    s.rows[feed] += rows;
    s.deadLetters += deadLetters;
    this.totalRows += rows;
    const elapsed = (performance.now() - this.started) / 1000;
    const rowsPerSecond = elapsed > 0 ? this.totalRows / elapsed : 0;
    this.emit({ kind: "loaded", file, rows, deadLetters, seconds, totalRows: this.totalRows, rowsPerSecond, done: s.loaded.length, files: this.newFiles });
  }

  alreadyLoaded(): void {
    this.summary.skipped += 1;
  }

  recovered(file: string, rows: number, store: string): void {
    this.summary.recovered.push(file);
    this.emit({ kind: "recovered", file, rows, store });
  }

  changed(file: string, detail: string): void {
    this.summary.changed.push({ file, detail });
    this.emit({ kind: "changed", file, detail });
  }

  changedBefore(): void {
    this.summary.changedBefore += 1;
  }

  quarantined(file: string, reason: string, to: string): void {
    this.summary.quarantined.push({ file, reason, to });
    this.emit({ kind: "quarantined", file, reason, to });
  }

  skippedFile(file: string, reason: string): void {
    this.summary.skippedFiles.push({ file, reason });
    this.emit({ kind: "skipped", file, reason });
  }

  ignored(file: string): void {
    this.summary.ignored.push(file);
    this.emit({ kind: "ignored", file });
  }

  finish(): LandingSummary {
    const s = this.summary;
    for (const list of [s.loaded, s.recovered, s.ignored]) list.sort();
    for (const list of [s.changed, s.quarantined, s.skippedFiles]) list.sort((a, b) => (a.file < b.file ? -1 : 1));
    s.outcome = s.skippedFiles.length + s.quarantined.length + s.changed.length > 0 ? "incomplete" : "complete";
    s.seconds = (performance.now() - this.started) / 1000;
    return s;
  }
}
