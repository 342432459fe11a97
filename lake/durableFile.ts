import { open, rename } from "node:fs/promises";
import path from "node:path";

/** Flushes a file's bytes to disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes `tmp` appear as `target` atomically and durably: fsync the bytes, rename (atomic on one filesystem,
 * replacing any previous `target`), then fsync the folder so the rename itself survives a power cut.
 */
export async function commitFile(tmp: string, target: string): Promise<void> {
  await fsyncFile(tmp);
  await rename(tmp, target);
  await fsyncFile(path.dirname(target));
}
