import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { HomePaths } from "../../lib/home.js";
import { commitFile } from "../../lake/durableFile.js";
import { parseJsonOrUndefined } from "../../lib/parseJsonOrUndefined.js";

/**
 * Small landing files are loaded several to a batch (see loadLandingGroup). A batch id holds one tag, the file
 * key when a batch is one file's; a group batch is tagged with a group tag instead, and a group record names its
 * files. The record is made durable before the batch commits, so a loader that crashed after the commit but
 * before the manifest entries still finds which files the batch holds, and does not load them again.
 */
const GroupRecord = z.object({
  members: z.array(z.object({ path: z.string().min(1), key: z.string().regex(/^[0-9a-f]{20}$/) })).min(1),
});
export type GroupRecord = z.infer<typeof GroupRecord>;

function groupsFolder(paths: HomePaths): string {
  return path.join(paths.ingestState, "landing-groups");
}

function recordPath(paths: HomePaths, tag: string): string {
  return path.join(groupsFolder(paths), `${tag}.json`);
}

export async function writeGroupRecord(paths: HomePaths, tag: string, record: GroupRecord): Promise<void> {
  await mkdir(groupsFolder(paths), { recursive: true });
  const target = recordPath(paths, tag);
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(GroupRecord.parse(record)));
  await commitFile(tmp, target);
}

/**
 * Every group record by tag. A record that does not parse was torn by a crash while it was written, so before its
 * batch could commit: it names nothing loaded and is left out.
 */
export async function readGroupRecords(paths: HomePaths): Promise<Map<string, GroupRecord>> {
  const records = new Map<string, GroupRecord>();
  let names: string[];
  try {
    names = await readdir(groupsFolder(paths));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return records;
    throw error;
  }
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const parsed = GroupRecord.safeParse(parseJsonOrUndefined(await readFile(path.join(groupsFolder(paths), name), "utf8")));
    if (parsed.success) records.set(name.slice(0, -".json".length), parsed.data);
  }
  return records;
}

/** Drops a record once the manifest lists its files (or its batch never committed). */
export async function removeGroupRecord(paths: HomePaths, tag: string): Promise<void> {
  await rm(recordPath(paths, tag), { force: true });
}
