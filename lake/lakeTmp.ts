import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive } from "../lib/fileLock.js";

/**
 * `lake/_tmp/` holds what writers have not committed yet: batch files being written and DuckDB spill folders.
 * Every name starts with the writing process's pid, so what a crashed writer left behind can be told from what
 * a live one is still writing (a stream and a landing load write at once).
 */
export function lakeTmpName(name: string): string {
  return `${process.pid}-${name}`;
}

/** Removes the entries of `lake/_tmp/` whose writer process is gone. */
export async function removeOrphanedTmp(lakeTmp: string): Promise<void> {
  for (const name of await readdir(lakeTmp).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    await rm(path.join(lakeTmp, name), { recursive: true, force: true });
  }
}
