import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { once } from "node:events";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { createGzip, type Gzip } from "node:zlib";
import { homePaths } from "../lib/home.js";
import type { LandingFeed } from "../lib/feeds.js";

/**
 * A landing file being written. Bytes go to `landing/.tmp/` (same file system, outside every feed folder
 * the loader globs) and appear under their final name only on `commit`, fully written and synced, so a
 * loader running at the same time never reads half a file.
 */
export interface LandingFileWriter {
  readonly finalPath: string;
  write(text: string): Promise<void>;
  commit(): Promise<string>;
  abort(): Promise<void>;
}

export class LandingFileExistsError extends Error {
  constructor(readonly finalPath: string) {
    super(`landing file already exists: ${finalPath}`);
    this.name = "LandingFileExistsError";
  }
}

/** Fast compression: the generator's bench volume is gigabytes of JSON, and level 1 keeps gzip off the critical path. */
const GZIP_LEVEL = 1;

export async function openLandingFile(home: string, feed: LandingFeed, name: string, opts: { gzip: boolean }): Promise<LandingFileWriter> {
  const { tmpPath, finalPath } = await prepare(home, feed, name);
  const file = createWriteStream(tmpPath);
  const gzip: Gzip | undefined = opts.gzip ? createGzip({ level: GZIP_LEVEL }) : undefined;
  const head: Gzip | WriteStream = gzip ?? file;
  const done = gzip ? pipeline(gzip, file) : once(file, "close").then(() => undefined);
  // A failure surfaces through `done` when committing; swallowing it here avoids an unhandled rejection meanwhile.
  done.catch(() => undefined);
  let failure: Error | undefined;
  head.on("error", (error: Error) => (failure ??= error));

  return {
    finalPath,
    async write(text) {
      if (failure) throw failure;
      if (!head.write(text)) await Promise.race([once(head, "drain"), done]);
    },
    async commit() {
      head.end();
      await done;
      return publish(tmpPath, finalPath);
    },
    async abort() {
      head.destroy();
      await done.catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
    },
  };
}

export type CopyOutcome = "landed" | "unchanged";

/**
 * Copies a file byte for byte into the landing zone under `name`. Landing the same bytes again is a no-op
 * ("unchanged"); different bytes under a name already landed throw, because the loader loads a name once.
 */
export async function copyIntoLanding(home: string, feed: LandingFeed, sourcePath: string, name: string): Promise<{ path: string; outcome: CopyOutcome }> {
  const { tmpPath, finalPath } = await prepare(home, feed, name);
  try {
    await pipeline(createReadStream(sourcePath), createWriteStream(tmpPath));
    return { path: await publish(tmpPath, finalPath), outcome: "landed" };
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    if (error instanceof LandingFileExistsError && (await sameBytes(sourcePath, finalPath))) return { path: finalPath, outcome: "unchanged" };
    throw error;
  }
}

async function prepare(home: string, feed: LandingFeed, name: string): Promise<{ tmpPath: string; finalPath: string }> {
  const paths = homePaths(home);
  const folder = path.join(paths.landing, feed);
  await Promise.all([mkdir(folder, { recursive: true }), mkdir(paths.landingTmp, { recursive: true })]);
  const tmpPath = path.join(paths.landingTmp, `${name}.${process.pid}.${randomBytes(4).toString("hex")}.partial`);
  return { tmpPath, finalPath: path.join(folder, name) };
}

/** link() fails when the target exists, so publishing can never clobber a file a loader may have read. */
async function publish(tmpPath: string, finalPath: string): Promise<string> {
  const handle = await open(tmpPath, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmpPath, finalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new LandingFileExistsError(finalPath);
    throw error;
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  return finalPath;
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
  return ba.equals(bb);
}
