import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { createGunzip } from "node:zlib";
import { lstat, open, rm } from "node:fs/promises";

/** What the landing manifest knows a file by, before its content is read. */
export interface FileStamp {
  /** Path relative to `landing/`, with `/` separators. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** The file's stamp, of the path itself: a symbolic link is not followed (see landingZone.ts). */
export async function stampFile(absolute: string, relative: string): Promise<FileStamp> {
  const info = await lstat(absolute);
  return { path: relative, size: info.size, mtimeMs: info.mtimeMs };
}

export function sameStamp(a: Pick<FileStamp, "size" | "mtimeMs">, b: Pick<FileStamp, "size" | "mtimeMs">): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Opens for reading without following a link at the last path component (ELOOP if it is one). */
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * A short key for one version of a file (path + size + mtime). It is the suffix of the file's batch ids, so a
 * loader that crashed after committing a batch but before writing the manifest finds that batch again.
 */
export function fileKey(stamp: FileStamp): string {
  return createHash("sha256").update(`${stamp.path}\0${stamp.size}\0${stamp.mtimeMs}`).digest("hex").slice(0, 20);
}

const CHUNK = 1 << 20;

/** SHA-256 of the file's bytes, streamed (files can be gigabytes). */
export async function hashFile(absolute: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of readChunks(absolute)) hash.update(chunk);
  return hash.digest("hex");
}

export interface FileContent {
  /** SHA-256 of the bytes as stored. */
  sha256: string;
  /**
   * Lines of the text (decompressed for gzip), counted as a line reader does: a last line without a newline
   * counts. Undefined when a gzip file does not decompress.
   */
  lines: number | undefined;
  /**
   * Why a gzip file does not decompress to its end (truncated, corrupt). DuckDB's reader returns the rows before a
   * truncation without an error, so this check is what keeps such a file from loading half.
   */
  gzipProblem?: string;
  /** Where the whole decompressed text of a gzip file was written, when scanFile was given a `plainCopy` path and it fit. */
  plainCopy?: string;
}

/**
 * A gzip file's decompressed text is copied only up to this size (a copy is abandoned beyond it, and DuckDB then
 * decompresses the file itself): the copy sits in lake/_tmp while the file loads.
 */
const PLAIN_COPY_MAX_BYTES = 4 * 1024 ** 3;

/**
 * A landing file's hash for the manifest and its line count for the fast load's check. For a gzip file with
 * `plainCopy` (a path under lake/_tmp), the text this pass decompresses anyway is also written there, so that DuckDB
 * reads it as is instead of decompressing the file a second time (see loadLandingUnit.ts).
 */
export async function scanFile(absolute: string, gzip: boolean, plainCopy?: string): Promise<FileContent> {
  if (gzip) {
    // Compressed bytes are few: reading them twice costs less than sharing one stream between hash and gunzip.
    const [sha256, gunzipped] = await Promise.all([hashFile(absolute), countGzipLines(absolute, plainCopy)]);
    return { sha256, ...gunzipped };
  }
  const hash = createHash("sha256");
  const lines = await countLines(readChunks(absolute), (chunk) => hash.update(chunk));
  return { sha256: hash.digest("hex"), lines };
}

/**
 * The file's bytes through one reused buffer. A read stream allocates a fresh buffer per chunk, and for the
 * gigabytes a landing load reads the page faults and garbage collection of those buffers cost more than the hash.
 * Each chunk is valid only until the next one is read.
 */
async function* readChunks(absolute: string): AsyncGenerator<Buffer> {
  const handle = await open(absolute, READ_NO_FOLLOW);
  try {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, (await handle.stat()).size)));
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function countGzipLines(absolute: string, plainCopy: string | undefined): Promise<Omit<FileContent, "sha256">> {
  // A file that cannot be opened is the caller's problem (vanished, unreadable), not a gzip one: that rejects.
  const handle = await open(absolute, READ_NO_FOLLOW);
  const compressed = handle.createReadStream({ highWaterMark: CHUNK });
  // The copy only saves work: when it cannot be written (a full disk) it is dropped and the load goes on without it.
  let copy = plainCopy === undefined ? undefined : await open(plainCopy, "w").catch(() => undefined);
  let copied = 0;
  const closeCopy = async () => {
    const closing = copy;
    copy = undefined;
    return (
      closing !== undefined &&
      (await closing.close().then(
        () => true,
        () => false,
      ))
    );
  };
  const dropCopy = async () => {
    await closeCopy();
    if (plainCopy !== undefined) await rm(plainCopy, { force: true }).catch(() => undefined);
  };
  let lines: number;
  try {
    lines = await countLines(compressed.pipe(createGunzip({ chunkSize: CHUNK })), async (chunk) => {
      if (copy === undefined) return;
      copied += chunk.length;
      if (copied > PLAIN_COPY_MAX_BYTES) await dropCopy();
      else await copy.write(chunk).catch(dropCopy);
    });
  } catch (error) {
    await dropCopy();
    return { lines: undefined, gzipProblem: `not a complete gzip file (${(error as Error).message})` };
  } finally {
    compressed.destroy();
  }
  if (await closeCopy()) return { lines, plainCopy };
  await dropCopy();
  return { lines };
}

async function countLines(text: AsyncIterable<unknown> | Iterable<unknown>, onChunk?: (chunk: Buffer) => unknown): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of text) {
    const buffer = chunk as Buffer;
    await onChunk?.(buffer);
    if (buffer.length === 0) continue;
    for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines += 1;
    last = buffer[buffer.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}
