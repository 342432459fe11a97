import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { homePaths, type HomePaths } from "../../lib/home.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { sqlString } from "../../lake/sqlText.js";
import { acquireFileLock } from "../../lib/fileLock.js";
import { fileKey, hashFile, scanFile, stampFile, type FileStamp } from "./fileIdentity.js";
import { appendManifest, readManifest, type ManifestEntry } from "./landingManifest.js";
import { FEED_FORMAT, LANDING_FEEDS, landingFileFormat, type LandingFeed } from "./landingFeeds.js";
import { readGroupRecords, removeGroupRecord, writeGroupRecord, type GroupRecord } from "./landingGroups.js";
import { loadLandingGroup } from "./loadLandingGroup.js";
import { loadLandingFile, UnreadableLandingFile, type LandingFile } from "./loadLandingFile.js";
import { quarantineFile } from "./quarantine.js";

export type LandingEvent =
  /** `files` in the landing zone, `newFiles` of them not in the manifest (the ones `loaded` events count). */
  | { kind: "start"; files: number; newFiles: number }
  | { kind: "loading"; file: string; seconds: number }
  | { kind: "loaded"; file: string; rows: number; deadLetters: number; seconds: number; totalRows: number; rowsPerSecond: number; done: number; files: number }
  | { kind: "recovered"; file: string; rows: number }
  | { kind: "changed"; file: string; detail: string }
  | { kind: "quarantined"; file: string; reason: string; to: string }
  | { kind: "ignored"; file: string };

export interface LandingSummary {
  loaded: string[];
  /** Files already in the manifest and unchanged. */
  skipped: number;
  /** Files whose batches were committed by a run that crashed before recording them; recorded now, not reloaded. */
  recovered: string[];
  /** Files that changed after they were loaded: reported, never reloaded. */
  changed: { file: string; detail: string }[];
  quarantined: { file: string; reason: string; to: string }[];
  /** Files in a landing folder that are not `*.csv`, `*.json` or their `.gz`. */
  ignored: string[];
  rows: Record<LandingFeed, number>;
  deadLetters: number;
  seconds: number;
}

export interface LandingOptions {
  onEvent?: (event: LandingEvent) => void;
  /** Seconds between "still loading" events for a long file. */
  heartbeatSeconds?: number;
  /** Files loaded at once (default: the number of CPUs, at most 4); each file is read on one thread. */
  concurrency?: number;
}

/**
 * `pulse ingest --source landing --once`: loads every file under `landing/<feed>/` not loaded before into the
 * lake. Exactly once per file: the manifest entry is appended only after the file's batches are committed, and a
 * committed batch carries the file's key in its id, so a crash in between is recovered from the lake, not reloaded.
 */
export async function loadLandingOnce(home: string, options: LandingOptions = {}): Promise<LandingSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const paths = homePaths(home);
  const summary: LandingSummary = {
    loaded: [],
    skipped: 0,
    recovered: [],
    changed: [],
    quarantined: [],
    ignored: [],
    rows: { registered_users: 0, gym_logins: 0, kafka_multiplex: 0 },
    deadLetters: 0,
    seconds: 0,
  };
  await mkdir(paths.ingestState, { recursive: true });
  // Two loaders would both see a file as new and load it twice: one landing load per PULSE_HOME.
  const lock = await acquireFileLock(path.join(paths.ingestState, "landing.lock"), { command: "landing load", what: "the landing zone (a landing load is running)", timeoutSeconds: 0 });
  // One DuckDB thread per query, files in parallel instead: a file's lines are numbered in order (WITH ORDINALITY),
  // which keeps its pipeline on one thread, and a second DuckDB thread then only burns CPU (measured: twice the CPU
  // for the same wall time). Concurrent queries on separate connections still run in parallel.
  const writer = await LakeWriter.open(home, { threads: 1 });
  try {
    const { entries } = await readManifest(paths);
    const groupRecords = await readGroupRecords(paths);
    const { byTable: committed, groupTags } = await committedLandingBatches(paths, groupRecords);
    const files = await discoverLandingFiles(paths);
    const newFiles = files.filter((f) => !entries.has(f.relative) && landingFileFormat(path.basename(f.relative)) !== undefined).length;
    emit({ kind: "start", files: files.length, newFiles });
    let totalRows = 0;
    let done = 0;
    // Appends are serialized so concurrent loads never interleave manifest lines.
    let manifestTail: Promise<void> = Promise.resolve();
    const recorded = new Set(entries.keys());
    const record = (entry: ManifestEntry) => {
      recorded.add(entry.path);
      return (manifestTail = manifestTail.then(() => appendManifest(paths, entry)));
    };

    const loaded = (file: LandingFile, rows: number, deadLetters: number, fileStarted: number) => {
      summary.loaded.push(file.relative);
      summary.rows[file.feed] += rows;
      summary.deadLetters += deadLetters;
      totalRows += rows;
      done += 1;
      const elapsed = (performance.now() - started) / 1000;
      emit({
        kind: "loaded",
        file: file.relative,
        rows,
        deadLetters,
        seconds: (performance.now() - fileStarted) / 1000,
        totalRows,
        rowsPerSecond: elapsed > 0 ? totalRows / elapsed : 0,
        done,
        files: newFiles,
      });
    };

    /** Sorts a landing file out: already loaded, changed, recovered from the lake, or to load (returned). */
    const triage = async (fileWriter: LakeWriter, candidate: DiscoveredFile): Promise<NewFile | undefined> => {
      const format = landingFileFormat(path.basename(candidate.relative));
      if (!format) {
        summary.ignored.push(candidate.relative);
        emit({ kind: "ignored", file: candidate.relative });
        return undefined;
      }
      const file: LandingFile = { ...candidate, ...format };
      const stamp = await stampFile(file.absolute, file.relative);
      const previous = entries.get(file.relative);
      if (previous) {
        const detail = await changeSince(previous, file.absolute, stamp);
        if (detail === undefined) summary.skipped += 1;
        else {
          summary.changed.push({ file: file.relative, detail });
          emit({ kind: "changed", file: file.relative, detail });
        }
        return undefined;
      }
      const key = fileKey(stamp);
      const dataBatch = committed.get(file.feed)?.get(key);
      if (dataBatch === undefined) return { file, stamp, key };
      const source = `landing:${file.relative}`;
      const deadBatch = committed.get("dead_letters")?.get(key);
      const rows = await countRows(fileWriter, paths, file.feed, dataBatch, source);
      const deadLetters = deadBatch === undefined ? 0 : await countRows(fileWriter, paths, "dead_letters", deadBatch, source);
      await record(entry(stamp, await hashFile(file.absolute), [deadBatch, dataBatch], rows, deadLetters));
      summary.recovered.push(file.relative);
      emit({ kind: "recovered", file: file.relative, rows });
      return undefined;
    };

    const loadOne = async (fileWriter: LakeWriter, { file, stamp, key }: NewFile, content = scanFile(file.absolute, file.gzip)): Promise<void> => {
      const fileStarted = performance.now();
      const heartbeat = setInterval(
        () => emit({ kind: "loading", file: file.relative, seconds: (performance.now() - fileStarted) / 1000 }),
        (options.heartbeatSeconds ?? 5) * 1000,
      );
      heartbeat.unref();
      try {
        const lines = content.then((c) => c.lines, () => undefined);
        const [{ sha256 }, load] = await Promise.all([content, loadLandingFile(fileWriter, file, key, { deadLetterBatchId: committed.get("dead_letters")?.get(key), lines })]);
        await record(entry(stamp, sha256, load.batches, load.rows, load.deadLetters));
        loaded(file, load.rows, load.deadLetters, fileStarted);
      } catch (error) {
        if (!(error instanceof UnreadableLandingFile)) throw error;
        const to = await quarantineFile(paths, file.absolute, file.relative, error.message);
        summary.quarantined.push({ file: file.relative, reason: error.message, to });
        emit({ kind: "quarantined", file: file.relative, reason: error.message, to });
      } finally {
        clearInterval(heartbeat);
      }
    };

    /** Small files share one batch; if any of them is not all good lines, each loads on its own instead. */
    const loadGroup = async (fileWriter: LakeWriter, group: NewFile[]): Promise<void> => {
      const groupStarted = performance.now();
      const contents = group.map((g) => scanFile(g.file.absolute, g.file.gzip));
      const scanned = await Promise.all(contents.map((c) => c.then((content) => content, () => undefined)));
      const tag = randomBytes(10).toString("hex");
      await writeGroupRecord(paths, tag, { members: group.map((g) => ({ path: g.file.relative, key: g.key })) });
      const load = scanned.every((c) => c !== undefined)
        ? await loadLandingGroup(fileWriter, group.map((g, i) => ({ file: g.file, lines: scanned[i]!.lines })), tag)
        : undefined;
      if (load === undefined) {
        await removeGroupRecord(paths, tag);
        for (const [i, member] of group.entries()) await loadOne(fileWriter, member, contents[i]);
        return;
      }
      await Promise.all(group.map(({ stamp }, i) => record(entry(stamp, scanned[i]!.sha256, [load.batchId], load.rows[i]!, 0))));
      await removeGroupRecord(paths, tag);
      for (const [i, { file }] of group.entries()) loaded(file, load.rows[i]!, 0, groupStarted);
    };

    const toLoad: NewFile[] = [];
    for (const candidate of files) {
      const file = await triage(writer, candidate);
      if (file) toLoad.push(file);
    }
    const units = landingLoadUnits(toLoad, committed.get("dead_letters"));
    const concurrency = Math.max(1, Math.min(options.concurrency ?? Math.min(os.availableParallelism(), 4), units.length));
    const writers = [writer, ...(await Promise.all(Array.from({ length: concurrency - 1 }, () => writer.fork())))];
    let next = 0;
    try {
      await Promise.all(
        writers.map(async (fileWriter) => {
          for (let index = next++; index < units.length; index = next++) {
            const unit = units[index]!;
            if (unit.length === 1) await loadOne(fileWriter, unit[0]!);
            else await loadGroup(fileWriter, unit);
          }
        }),
      );
    } finally {
      for (const fork of writers.slice(1)) await fork.close();
    }
    await manifestTail;
    // A record is spent once its batch is known not to have committed, or every file it names is in the manifest.
    // One naming a file that was not found (moved away before it was recovered) stays: it still maps that file's
    // key to its rows in the lake, should the file come back.
    for (const [tag, group] of groupRecords) {
      if (!groupTags.has(tag) || group.members.every((m) => recorded.has(m.path))) await removeGroupRecord(paths, tag);
    }
  } finally {
    await writer.close();
    lock.release();
  }
  for (const list of [summary.loaded, summary.recovered, summary.ignored]) list.sort();
  for (const list of [summary.changed, summary.quarantined]) list.sort((a, b) => (a.file < b.file ? -1 : 1));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function entry(stamp: { path: string; size: number; mtimeMs: number }, sha256: string, batches: (string | undefined)[], rows: number, deadLetters: number): ManifestEntry {
  return { ...stamp, sha256, batches: batches.filter((b): b is string => b !== undefined), rows, deadLetters, loadedAt: new Date().toISOString() };
}

/** Undefined when the file is as loaded (or only touched: same bytes); otherwise what changed. */
async function changeSince(previous: ManifestEntry, absolute: string, stamp: { size: number; mtimeMs: number }): Promise<string | undefined> {
  if (previous.size === stamp.size && previous.mtimeMs === stamp.mtimeMs) return undefined;
  if ((await hashFile(absolute)) === previous.sha256) return undefined;
  return `changed after it was loaded on ${previous.loadedAt} (size ${previous.size} → ${stamp.size} bytes); not reloaded`;
}

/** A landing file to load: not in the manifest, and no batch of it in the lake. */
interface NewFile {
  file: LandingFile;
  stamp: FileStamp;
  key: string;
}

/** Files larger than this load on their own; smaller ones of the same feed and compression load in groups. */
const GROUP_FILE_BYTES = 1 << 20;
/** A group's limits: few enough rows to number in memory, few enough files for one query's path list. */
const GROUP_MAX_BYTES = 16 << 20;
const GROUP_MAX_FILES = 256;

/**
 * The units the load lanes take, in order: groups of small files first (one query each), then each larger file,
 * largest first.
 * A file that cannot join a group (wrong format for its folder, or a dead-letter batch of it already committed,
 * which the single-file path re-commits over) is a unit of its own.
 */
function landingLoadUnits(files: readonly NewFile[], committedDeadLetters: ReadonlyMap<string, string> | undefined): NewFile[][] {
  const groups = new Map<string, NewFile[][]>();
  const singles: NewFile[][] = [];
  for (const f of files) {
    const groupable = f.stamp.size <= GROUP_FILE_BYTES && f.file.format === FEED_FORMAT[f.file.feed] && !committedDeadLetters?.has(f.key);
    if (!groupable) {
      singles.push([f]);
      continue;
    }
    const lists = groups.get(`${f.file.feed}:${f.file.gzip}`) ?? [];
    const current = lists.at(-1);
    const bytes = (current ?? []).reduce((sum, g) => sum + g.stamp.size, 0);
    if (current === undefined || current.length >= GROUP_MAX_FILES || bytes + f.stamp.size > GROUP_MAX_BYTES) lists.push([f]);
    else current.push(f);
    groups.set(`${f.file.feed}:${f.file.gzip}`, lists);
  }
  // Largest files first: the lanes then finish close together instead of one waiting out a big file at the end.
  singles.sort((a, b) => b[0]!.stamp.size - a[0]!.stamp.size);
  return [...[...groups.values()].flat(), ...singles];
}

/** Every file under each feed folder, sorted; dotfiles and `*.tmp` (files still being written) are not candidates. */
interface DiscoveredFile {
  absolute: string;
  relative: string;
  feed: LandingFeed;
}

async function discoverLandingFiles(paths: HomePaths): Promise<DiscoveredFile[]> {
  const found: DiscoveredFile[] = [];
  for (const feed of LANDING_FEEDS) {
    const folder = path.join(paths.landing, feed);
    let names: string[];
    try {
      names = await readdir(folder, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    for (const name of names) {
      const base = path.basename(name);
      if (base.startsWith(".") || base.endsWith(".tmp")) continue;
      const absolute = path.join(folder, name);
      if (!(await stat(absolute)).isFile()) continue;
      found.push({ absolute, relative: [feed, ...name.split(path.sep)].join("/"), feed });
    }
  }
  return found.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/**
 * Landing batches already in the lake, per table: file key → batch id. A group batch (its tag has a group record)
 * counts for each file the record names; `groupTags` are the tags of the group batches found.
 */
async function committedLandingBatches(
  paths: HomePaths,
  groupRecords: Map<string, GroupRecord>,
): Promise<{ byTable: Map<string, Map<string, string>>; groupTags: Set<string> }> {
  const byTable = new Map<string, Map<string, string>>();
  const groupTags = new Set<string>();
  for (const table of [...LANDING_FEEDS, "dead_letters"]) {
    const keys = new Map<string, string>();
    for (const name of await readdir(path.join(paths.bronze, table))) {
      const match = /^\d{16}-(\d{8}T\d{12}Z-([0-9a-f]{20}))\.parquet$/.exec(name);
      if (!match) continue;
      const [, batch, tag] = match as unknown as [string, string, string];
      const group = groupRecords.get(tag);
      if (group === undefined) keys.set(tag, batch);
      else {
        groupTags.add(tag);
        for (const member of group.members) keys.set(member.key, batch);
      }
    }
    byTable.set(table, keys);
  }
  return { byTable, groupTags };
}

/** Rows of one landing file (`_source`) in a committed batch, which may hold other files' rows too (a group). */
async function countRows(writer: LakeWriter, paths: HomePaths, table: string, batch: string, source: string): Promise<number> {
  const file = path.join(paths.bronze, table, `*-${batch}.parquet`);
  const result = await writer.connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(file)}) WHERE _source = ${sqlString(source)}`);
  return Number(result.getRowsJS()[0]?.[0] ?? 0);
}
