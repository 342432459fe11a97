import { readFile, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { acquireFileLock } from "../lib/fileLock.js";
import type { HomePaths } from "../lib/home.js";
import { fsyncFile } from "./durableFile.js";

/**
 * The lake's commit order. Every batch file enters `bronze/<table>/` under one lake-wide lock, named
 * `<commit micros, 16 digits>-<batch id>.parquet`, with commit times strictly increasing across every
 * writer process; the newest commit time is then published in `_state/commit-clock`.
 *
 * Why: silver reads bronze incrementally, "everything committed after the newest load I have seen". That
 * is exact only if a batch committed later never carries an earlier time — which writer clocks cannot
 * promise (a slow writer stamps early and renames late). With commit times assigned under the lock, a
 * reader that takes the published clock as its snapshot sees every file at or before it, and every file
 * committed afterwards has a later time: no look-back window, no re-reading.
 */
export const COMMIT_MICROS_DIGITS = 16;

/** Files whose name starts with a commit time; `_empty.parquet` and temp files do not. */
export const COMMITTED_FILE = /^(\d{16})-(.+)\.parquet$/;

function clockFile(paths: HomePaths): string {
  return path.join(paths.ingestState, "commit-clock");
}

/** The newest commit time published so far, in microseconds since the epoch (0 for an empty lake). */
export async function readCommitClock(paths: HomePaths): Promise<bigint> {
  try {
    const text = (await readFile(clockFile(paths), "utf8")).trim();
    return /^\d+$/.test(text) ? BigInt(text) : 0n;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0n;
    throw error;
  }
}

/** The table's committed files: the one holding `batchId` (if any) and the newest commit time. */
async function scanFolder(folder: string, batchId: string): Promise<{ existing?: string; newest: bigint }> {
  const suffix = `-${batchId}.parquet`;
  let existing: string | undefined;
  let newest = 0n;
  for (const name of await readdir(folder)) {
    const match = COMMITTED_FILE.exec(name);
    if (!match) continue;
    if (name.endsWith(suffix)) existing = name;
    const time = BigInt(match[1]!);
    if (time > newest) newest = time;
  }
  return { existing, newest };
}

/**
 * Moves a fully written, fsynced `tmp` file into `bronze/<table>/` as the next commit. A batch id that is
 * already committed keeps its file name (and so its commit time): the new file replaces it atomically,
 * which is how a loader re-commits the same batch after a crash.
 */
export async function commitBatchFile(paths: HomePaths, tmp: string, table: string, batchId: string): Promise<{ file: string; committedAt: bigint }> {
  const folder = path.join(paths.bronze, table);
  const lock = await acquireFileLock(path.join(paths.ingestState, "commit.lock"), {
    command: `commit ${table}`,
    what: "the lake commit lock",
    timeoutSeconds: 120,
    pollMs: 2,
  });
  try {
    const { existing: previous, newest } = await scanFolder(folder, batchId);
    if (previous) {
      const file = path.join(folder, previous);
      await rename(tmp, file);
      await fsyncFile(folder);
      return { file, committedAt: BigInt(COMMITTED_FILE.exec(previous)![1]!) };
    }
    // The folder guards against a clock file lost in a crash after a rename but before its update.
    const published = await readCommitClock(paths);
    const last = published > newest ? published : newest;
    const now = BigInt(Date.now()) * 1000n;
    const committedAt = now > last ? now : last + 1n;
    const file = path.join(folder, `${committedAt.toString().padStart(COMMIT_MICROS_DIGITS, "0")}-${batchId}.parquet`);
    await rename(tmp, file);
    await fsyncFile(folder);
    // Published only after the rename: a reader that sees this time can list the file.
    const clockTmp = `${clockFile(paths)}.tmp`;
    await writeFile(clockTmp, committedAt.toString());
    await rename(clockTmp, clockFile(paths));
    return { file, committedAt };
  } finally {
    lock.release();
  }
}
