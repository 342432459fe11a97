import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** What the landing manifest knows a file by, before its content is read. */
export interface FileStamp {
  /** Path relative to `landing/`, with `/` separators. */
  path: string;
  size: number;
  mtimeMs: number;
}

export async function stampFile(absolute: string, relative: string): Promise<FileStamp> {
  const info = await stat(absolute);
  return { path: relative, size: info.size, mtimeMs: info.mtimeMs };
}

/**
 * A short key for one version of a file (path + size + mtime). It is the suffix of the file's batch ids, so a
 * loader that crashed after committing a batch but before writing the manifest finds that batch again.
 */
export function fileKey(stamp: FileStamp): string {
  return createHash("sha256").update(`${stamp.path}\0${stamp.size}\0${stamp.mtimeMs}`).digest("hex").slice(0, 20);
}

/** SHA-256 of the file's bytes, streamed (files can be gigabytes). */
export async function hashFile(absolute: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(absolute, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
