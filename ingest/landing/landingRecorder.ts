import type { HomePaths } from "../../lib/home.js";
import type { BronzeTableName } from "../../lake/bronzeTables.js";
import type { LakeWriter } from "../../lake/lakeWriter.js";
import { committedFiles, parquetFilesSql } from "../../lake/lakeReader.js";
import { sqlString } from "../../lake/sqlText.js";
import type { FileStamp } from "./fileIdentity.js";
import { removeGroupRecord, type GroupRecord } from "./landingGroups.js";
import { LANDING_FEEDS } from "./landingFeeds.js";
import { appendManifest, type ManifestEntry } from "./landingManifest.js";

/**
 * Step 5 of a landing load, "record": manifest entries, appended one at a time (loads run in parallel lanes, and
 * interleaved appends would tear lines), each only after its file's batches are committed.
 */
export class LandingRecorder {
  private tail: Promise<void> = Promise.resolve();
  /** Paths with a manifest entry: those read at the start and those recorded since. */
  readonly recorded: Set<string>;

  constructor(
    private readonly paths: HomePaths,
    manifest: ReadonlyMap<string, ManifestEntry>,
  ) {
    this.recorded = new Set(manifest.keys());
  }

  /** Appends the entries (a group's files) as one durable write. */
  record(...entries: ManifestEntry[]): Promise<void> {
    for (const entry of entries) this.recorded.add(entry.path);
    return (this.tail = this.tail.then(() => appendManifest(this.paths, entries)));
  }

  /** Waits for every append so far. */
  flushed(): Promise<void> {
    return this.tail;
  }

  /**
   * Removes spent group records once every append is done. A record is spent once its batch is known not to have
   * committed, or every file it names is in the manifest. One naming a file that was not found (moved away before
   * it was recovered) stays: it still maps that file's key to its rows in the lake, should the file come back.
   */
  async retireGroupRecords(records: ReadonlyMap<string, GroupRecord>, committedGroupTags: ReadonlySet<string>): Promise<void> {
    await this.tail;
    for (const [tag, group] of records) {
      if (!committedGroupTags.has(tag) || group.members.every((m) => this.recorded.has(m.path))) await removeGroupRecord(this.paths, tag);
    }
  }
}

export function manifestEntry(stamp: FileStamp, sha256: string, batches: (string | undefined)[], rows: number, deadLetters: number): ManifestEntry {
  return { ...stamp, sha256, batches: batches.filter((b): b is string => b !== undefined), rows, deadLetters, loadedAt: new Date().toISOString() };
}

/** A landing batch's id ends in a 20-hex tag: a file key, or a group tag (see landingGroups.ts). */
const LANDING_BATCH = /^\d{8}T\d{12}Z-([0-9a-f]{20})$/;

/**
 * Landing batches already in the lake, per table: file key → batch id. A group batch (its tag has a group record)
 * counts for each file the record names; `groupTags` are the tags of the group batches found.
 */
export async function committedLandingBatches(
  committedBatchIds: (table: BronzeTableName) => Promise<string[]>,
  groupRecords: ReadonlyMap<string, GroupRecord>,
): Promise<{ byTable: Map<string, Map<string, string>>; groupTags: Set<string> }> {
  const byTable = new Map<string, Map<string, string>>();
  const groupTags = new Set<string>();
  for (const table of [...LANDING_FEEDS, "dead_letters"] as const) {
    const keys = new Map<string, string>();
    for (const batchId of await committedBatchIds(table)) {
      const tag = LANDING_BATCH.exec(batchId)?.[1];
      if (tag === undefined) continue;
      const group = groupRecords.get(tag);
      if (group === undefined) keys.set(tag, batchId);
      else {
        groupTags.add(tag);
        for (const member of group.members) keys.set(member.key, batchId);
      }
    }
    byTable.set(table, keys);
  }
  return { byTable, groupTags };
}

/** Rows of one landing file (`_source`) in a committed batch, which may hold other files' rows too (a group). */
export async function countCommittedRows(writer: LakeWriter, paths: HomePaths, table: BronzeTableName, batch: string, source: string): Promise<number> {
  const files = (await committedFiles(paths, table)).filter((f) => f.batchId === batch).map((f) => f.file);
  if (files.length === 0) return 0;
  const rows = await writer.readRows(`SELECT count(*) AS n FROM ${parquetFilesSql(files)} WHERE _source = ${sqlString(source)}`);
  return Number(rows[0]?.n ?? 0);
}
