import type { NewFile } from "./classifyLanding.js";
import { FEED_FORMAT } from "./landingFeeds.js";

/**
 * Step 3 of a landing load, "group": the units the load lanes take, in order (pure). Files of one feed and
 * compression load together: per query DuckDB spends 17–19 ms of CPU planning the checks, which a file of 50 lines
 * then runs in microseconds, and which is still 0.1–0.2 µs per row of a file of 100,000 lines. Small files (up to
 * 1 MiB) group by the hundred and are read by one call; larger ones up to 64 MiB group by eight, each read by a call
 * of its own (LandingScan.readsApart). Small groups come first (one query each), then the large groups and every
 * larger file, largest first.
 * A file that cannot join a group (wrong format for its folder, or a dead-letter batch of it already committed,
 * which the single-file path re-commits over) is a unit of its own, and so is every file without `grouping`.
 */
export function landingLoadUnits(files: readonly NewFile[], committedDeadLetters: ReadonlyMap<string, string> | undefined, grouping = true): NewFile[][] {
  const small = new Map<string, NewFile[][]>();
  const large = new Map<string, NewFile[][]>();
  const singles: NewFile[][] = [];
  for (const f of files) {
    const limits = f.stamp.size <= GROUP_FILE_BYTES ? SMALL : f.stamp.size <= LARGE_GROUP_FILE_BYTES ? LARGE : undefined;
    const groupable = grouping && limits !== undefined && f.file.format === FEED_FORMAT[f.file.feed] && !committedDeadLetters?.has(f.key);
    if (!groupable) {
      singles.push([f]);
      continue;
    }
    const groups = limits === SMALL ? small : large;
    const lists = groups.get(`${f.file.feed}:${f.file.gzip}`) ?? [];
    const current = lists.at(-1);
    if (current === undefined || current.length >= limits.files || unitBytes(current) + f.stamp.size > limits.bytes) lists.push([f]);
    else current.push(f);
    groups.set(`${f.file.feed}:${f.file.gzip}`, lists);
  }
  // Largest first: the lanes then finish close together instead of one waiting out a big file at the end.
  const rest = [...[...large.values()].flat(), ...singles].sort((a, b) => unitBytes(b) - unitBytes(a));
  return [...[...small.values()].flat(), ...rest];
}

/** Whether a unit of several files is a group of large files, each read by a call of its own (LandingScan.readsApart). */
export function readsFilesApart(unit: readonly NewFile[]): boolean {
  return unit.length > 1 && unit.every((f) => f.stamp.size > GROUP_FILE_BYTES);
}

const unitBytes = (unit: readonly NewFile[]) => unit.reduce((sum, f) => sum + f.stamp.size, 0);

/** Files up to this size group with others read by the same call; larger ones load in large groups or on their own. */
const GROUP_FILE_BYTES = 1 << 20;
/** A small group's limits: few enough rows to number in memory, few enough files for one query's path list. */
const SMALL = { bytes: 16 << 20, files: 256 };
/**
 * Files up to this size (a gzip file's copy in lake/_tmp is its decompressed size) load in large groups. A group with
 * a bad line is loaded again file by file, so a group stays a few seconds of work.
 */
const LARGE_GROUP_FILE_BYTES = 64 << 20;
const LARGE = { bytes: 256 << 20, files: 8 };
