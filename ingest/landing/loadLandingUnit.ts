import { randomBytes } from "node:crypto";
import { lstat, rm } from "node:fs/promises";
import path from "node:path";
import type { HomePaths } from "../../lib/home.js";
import type { LakeWriter } from "../../lake/lakeWriter.js";
import { lakeTmpName } from "../../lake/lakeTmp.js";
import type { NewFile } from "./classifyLanding.js";
import { sameStamp, scanFile, type FileContent } from "./fileIdentity.js";
import { removeGroupRecord, writeGroupRecord } from "./landingGroups.js";
import type { LandingEvent } from "./landingOutcome.js";
import { manifestEntry, type LandingRecorder } from "./landingRecorder.js";
import { fileProblem, recheckFile } from "./landingZone.js";
import { loadLandingFile, LandingFileChanged, UnreadableLandingFile, type LandingFile } from "./loadLandingFile.js";
import { loadLandingGroup } from "./loadLandingGroup.js";
import { readsFilesApart } from "./landingUnits.js";
import { quarantineFile } from "./quarantine.js";

/** Step 4 of a landing load, "load": one unit (a file, or a group of small files), each file ending in one outcome. */
export type FileOutcome =
  | { kind: "loaded"; file: LandingFile; rows: number; deadLetters: number; seconds: number }
  | { kind: "quarantined"; file: LandingFile; reason: string; to: string }
  | { kind: "skipped"; file: LandingFile; reason: string };

export interface UnitContext {
  writer: LakeWriter;
  paths: HomePaths;
  recorder: LandingRecorder;
  /** Orphan dead-letter batches by file key (committed by a crashed load), which the single-file path commits over. */
  committedDeadLetters: ReadonlyMap<string, string> | undefined;
  heartbeatSeconds: number;
  emit: (event: LandingEvent) => void;
}

export async function loadLandingUnit(context: UnitContext, unit: readonly NewFile[]): Promise<FileOutcome[]> {
  if (unit.length === 1) return [await loadSingle(context, unit[0]!)];
  return loadGroup(context, unit);
}

const CHANGED_WHILE_READ = "changed while it was read; nothing of it was loaded, it loads once it stops changing";

/**
 * The check before any batch of a file commits: the file is still the version classified (same size and mtime, still
 * a regular file: a producer writing in place, or a swap for a link, throws away the read), and a gzip file
 * decompressed to its end.
 */
function verifier(newFile: NewFile, content: Promise<FileContent>): () => Promise<void> {
  return async () => {
    const scanned = await content;
    if (scanned.gzipProblem !== undefined) throw new UnreadableLandingFile(scanned.gzipProblem);
    const now = await lstat(newFile.file.absolute);
    if (!now.isFile() || !sameStamp(now, newFile.stamp)) throw new LandingFileChanged(CHANGED_WHILE_READ);
  };
}

/**
 * `content`: the file's scan when the caller started it already (a group that fell apart). Otherwise a gzip file's
 * scan also writes its decompressed text to lake/_tmp, and DuckDB reads that copy once the scan is done: the scan
 * decompresses the file anyway (to check its CRC and count lines). DuckDB's own decompression cost 86 of 566 ms of
 * CPU for a bench/pipeline file of 177,148 lines, writing the copy 11–20 ms; bench/pipeline's gzip files went from
 * 3.83 to 3.72 µs of CPU per row (medians of 5).
 */
async function loadSingle(context: UnitContext, newFile: NewFile, content?: Promise<FileContent>): Promise<FileOutcome> {
  const { stamp, key } = newFile;
  const copyPath = content === undefined && newFile.file.gzip ? path.join(context.paths.lakeTmp, lakeTmpName(`${key}.plain`)) : undefined;
  content ??= scanFile(newFile.file.absolute, newFile.file.gzip, copyPath);
  const started = performance.now();
  const heartbeat = setInterval(() => context.emit({ kind: "loading", file: newFile.file.relative, seconds: (performance.now() - started) / 1000 }), context.heartbeatSeconds * 1000);
  heartbeat.unref();
  // Settled before anything awaits it: a read error is handled below, never left unhandled.
  content.catch(() => undefined);
  const plainCopy =
    copyPath === undefined
      ? undefined
      : await content.then(
          (c) => c.plainCopy,
          () => undefined,
        );
  const file: LandingFile = plainCopy === undefined ? newFile.file : { ...newFile.file, plainCopy };
  try {
    const load = await loadLandingFile(context.writer, file, key, {
      deadLetterBatchId: context.committedDeadLetters?.get(key),
      lines: content.then(
        (c) => c.lines,
        () => undefined,
      ),
      verify: verifier(newFile, content),
    });
    // The verify before the commit awaited `content`: it resolved.
    const { sha256 } = await content;
    await context.recorder.record(manifestEntry(stamp, sha256, load.batches, load.rows, load.deadLetters));
    return { kind: "loaded", file: newFile.file, rows: load.rows, deadLetters: load.deadLetters, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return failed(context, newFile.file, error);
  } finally {
    clearInterval(heartbeat);
    if (copyPath !== undefined) await rm(copyPath, { force: true });
  }
}

/**
 * A file that did not load: left for a later load when it changed, vanished or cannot be read by this user (none
 * of that is the file's fault), quarantined when its content cannot be read as its format. Any other error is not
 * the file's (a full disk) and fails the load.
 */
async function failed(context: UnitContext, file: LandingFile, error: unknown): Promise<FileOutcome> {
  if (error instanceof LandingFileChanged) return { kind: "skipped", file, reason: error.message };
  const problem = fileProblem(error) ?? (error instanceof UnreadableLandingFile ? await recheckFile(file.absolute) : undefined);
  if (problem !== undefined) return { kind: "skipped", file, reason: problem };
  if (!(error instanceof UnreadableLandingFile)) throw error;
  try {
    const to = await quarantineFile(context.paths, file.absolute, file.relative, error.message);
    return { kind: "quarantined", file, reason: error.message, to };
  } catch (moveError) {
    const gone = fileProblem(moveError);
    if (gone === undefined) throw moveError;
    return { kind: "skipped", file, reason: gone };
  }
}

/**
 * Files of a group share one batch; if any of them is not all good lines, each loads on its own instead. The gzip
 * files of a group are read from their decompressed copies, as a single file is (loadSingle).
 */
async function loadGroup(context: UnitContext, group: readonly NewFile[]): Promise<FileOutcome[]> {
  const started = performance.now();
  const readsApart = readsFilesApart(group);
  const copyPaths = group.map((g) => (g.file.gzip ? path.join(context.paths.lakeTmp, lakeTmpName(`${g.key}.plain`)) : undefined));
  try {
    const contents = group.map((g, i) => scanFile(g.file.absolute, g.file.gzip, copyPaths[i]));
    const scanned = await Promise.all(
      contents.map((c) =>
        c.then(
          (content) => content,
          () => undefined,
        ),
      ),
    );
    const tag = randomBytes(10).toString("hex");
    await writeGroupRecord(context.paths, tag, { members: group.map((g) => ({ path: g.file.relative, key: g.key })) });
    // The scan reads every file of a group alike: from the copies only if each gzip file has one.
    const copied = group.every((g, i) => !g.file.gzip || scanned[i]?.plainCopy !== undefined);
    const members = group.map((g, i) => ({
      file: copied && g.file.gzip ? { ...g.file, plainCopy: scanned[i]!.plainCopy } : g.file,
      lines: scanned[i]?.lines,
      verify: verifier(g, contents[i]!),
    }));
    const load = scanned.every((c) => c !== undefined && c.gzipProblem === undefined) ? await loadLandingGroup(context.writer, members, tag, readsApart) : undefined;
    if (load === undefined) {
      await removeGroupRecord(context.paths, tag);
      const outcomes: FileOutcome[] = [];
      for (const [i, member] of group.entries()) outcomes.push(await loadSingle(context, member, contents[i]));
      return outcomes;
    }
    await context.recorder.record(...group.map(({ stamp }, i) => manifestEntry(stamp, scanned[i]!.sha256, [load.batchId], load.rows[i]!, 0)));
    await removeGroupRecord(context.paths, tag);
    const seconds = (performance.now() - started) / 1000;
    return group.map(({ file }, i) => ({ kind: "loaded", file, rows: load.rows[i]!, deadLetters: 0, seconds }));
  } finally {
    for (const copy of copyPaths) if (copy !== undefined) await rm(copy, { force: true });
  }
}
