import type { NewFile } from "./classifyLanding.js";
import { FEED_FORMAT } from "./landingFeeds.js";

/**
 * Step 3 of a landing load, "group": the units the load lanes take, in order (pure). Small files of one feed and
 * compression load together: per query DuckDB spends milliseconds planning the checks, which a file of 50 lines
 * then runs in microseconds. Groups come first (one query each), then each larger file, largest first.
 * A file that cannot join a group (wrong format for its folder, or a dead-letter batch of it already committed,
 * which the single-file path re-commits over) is a unit of its own, and so is every file without `grouping`.
 */
export function landingLoadUnits(files: readonly NewFile[], committedDeadLetters: ReadonlyMap<string, string> | undefined, grouping = true): NewFile[][] {
  const groups = new Map<string, NewFile[][]>();
  const singles: NewFile[][] = [];
  for (const f of files) {
    const groupable = grouping && f.stamp.size <= GROUP_FILE_BYTES && f.file.format === FEED_FORMAT[f.file.feed] && !committedDeadLetters?.has(f.key);
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

/** Files larger than this load on their own; smaller ones of the same feed and compression load in groups. */
const GROUP_FILE_BYTES = 1 << 20;
/** A group's limits: few enough rows to number in memory, few enough files for one query's path list. */
const GROUP_MAX_BYTES = 16 << 20;
const GROUP_MAX_FILES = 256;
