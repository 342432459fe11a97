import { constants, type Dirent } from "node:fs";
import { access, lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import type { HomePaths } from "../../lib/home.js";
import { LANDING_FEEDS, type LandingFeed } from "./landingFeeds.js";

/**
 * Step 1 of a landing load, "scan": what the landing zone holds. The zone is a boundary: producers (other users,
 * other machines through a share) write into it, and pulse reads it with the rights of whoever runs the load. So
 * nothing here follows a symbolic link (a link to a system file would be read and quoted in error messages), a
 * folder is entered only if it is a real folder inside the zone, and only regular files are candidates: a FIFO would
 * block the reader forever. What is not a candidate and not plainly out of scope is reported with the reason.
 */
export interface LandingCandidate {
  absolute: string;
  /** Relative to `landing/`, `/`-separated; also the `_source` after `landing:`. */
  relative: string;
  feed: LandingFeed;
  size: number;
  mtimeMs: number;
}

/** A file left where it is, with the reason (printed: keep it free of file contents). */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface LandingZoneScan {
  /** Sorted by relative path. */
  candidates: LandingCandidate[];
  skipped: SkippedFile[];
}

/** Names that are never candidates: dotfiles and `*.tmp` (producers write there, then rename into place). */
function outOfScope(name: string): boolean {
  return name.startsWith(".") || name.endsWith(".tmp");
}

export async function scanLandingZone(paths: HomePaths): Promise<LandingZoneScan> {
  const scan: LandingZoneScan = { candidates: [], skipped: [] };
  const root = await realpath(paths.landing).catch(() => undefined);
  if (root === undefined) return scan;
  for (const feed of LANDING_FEEDS) await walk(scan, root, feed, [feed]);
  scan.candidates.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  scan.skipped.sort((a, b) => (a.file < b.file ? -1 : 1));
  return scan;
}

async function walk(scan: LandingZoneScan, root: string, feed: LandingFeed, parts: string[]): Promise<void> {
  const folder = path.join(root, ...parts);
  const relativeFolder = parts.join("/");
  let entries: Dirent[];
  try {
    // A feed folder that is a link is refused too (below it, readdir's entry types already tell links apart).
    if (parts.length === 1 && (await lstat(folder)).isSymbolicLink()) {
      scan.skipped.push({ file: relativeFolder, reason: fileProblem({ code: "ELOOP" })! });
      return;
    }
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && parts.length === 1) return;
    if (code === "ENOTDIR" && parts.length === 1) {
      scan.skipped.push({ file: relativeFolder, reason: "a landing feed must be a folder" });
      return;
    }
    scan.skipped.push({ file: `${relativeFolder}/`, reason: fileProblem(error) ?? `cannot be listed (${code ?? "error"})` });
    return;
  }
  for (const entry of entries) {
    if (outOfScope(entry.name)) continue;
    const relative = `${relativeFolder}/${entry.name}`;
    const absolute = path.join(folder, entry.name);
    if (entry.isSymbolicLink()) scan.skipped.push({ file: relative, reason: "is a symbolic link; links in the landing zone are not followed" });
    else if (entry.isDirectory()) await walk(scan, root, feed, [...parts, entry.name]);
    else if (!entry.isFile()) scan.skipped.push({ file: relative, reason: "is not a regular file" });
    else {
      const problem = await candidateProblem(absolute);
      if (problem !== undefined) scan.skipped.push({ file: relative, reason: problem });
      else {
        const info = await lstat(absolute).catch(() => undefined);
        if (info === undefined) scan.skipped.push({ file: relative, reason: VANISHED });
        else scan.candidates.push({ absolute, relative, feed, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  }
}

const VANISHED = "vanished before it was read";

/** Why a listed file cannot be read now (vanished, permission denied), or undefined. */
async function candidateProblem(absolute: string): Promise<string | undefined> {
  try {
    await access(absolute, constants.R_OK);
    return undefined;
  } catch (error) {
    return fileProblem(error) ?? `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`;
  }
}

/**
 * The reason for a file-system error that leaves one landing file unread while the rest load: the file vanished
 * (deleted or renamed between the listing and the read), cannot be read by this user, or became a link. Undefined
 * for any other error, which is not the file's problem (a full disk) and must fail the load.
 */
export function fileProblem(error: unknown): string | undefined {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
      return VANISHED;
    case "EACCES":
    case "EPERM":
      return "permission denied: the user running the load cannot read it";
    case "ELOOP":
      return "is a symbolic link; links in the landing zone are not followed";
    default:
      return undefined;
  }
}

/** Re-checks a file whose read failed: the reason it is no longer there or readable, or undefined if it still is. */
export async function recheckFile(absolute: string): Promise<string | undefined> {
  try {
    const info = await lstat(absolute);
    if (info.isSymbolicLink()) return fileProblem({ code: "ELOOP" });
    if (!info.isFile()) return "is not a regular file";
  } catch (error) {
    return fileProblem(error) ?? VANISHED;
  }
  return candidateProblem(absolute);
}
