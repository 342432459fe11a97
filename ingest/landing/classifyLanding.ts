import { fileKey, sameStamp, type FileStamp } from "./fileIdentity.js";
import type { ManifestEntry } from "./landingManifest.js";
import { landingFileFormat } from "./landingFeeds.js";
import type { LandingCandidate } from "./landingZone.js";
import type { LandingFile } from "./loadLandingFile.js";

/**
 * Step 2 of a landing load, "classify": what to do with each file found, from the manifest, the lake's committed
 * landing batches and the clock alone (pure; the caller does the I/O the answer asks for).
 */
export type Classified =
  | { kind: "ignored" }
  /** In the manifest as it is now. */
  | { kind: "loaded" }
  /** A change to a loaded file already reported once: counted, not reported again. */
  | { kind: "changeReported" }
  /** Size or mtime differ from the manifest: the caller compares the bytes (a touch is not a change). */
  | { kind: "compare"; previous: ManifestEntry }
  /** Batches of this exact version are in the lake (a load crashed before recording it): record, do not reload. */
  | { kind: "recover"; file: LandingFile; stamp: FileStamp; dataBatch: string; deadBatch?: string }
  /** Written to less than `settleMs` ago: it may still be being written in place. */
  | { kind: "settling"; waitMs: number }
  | { kind: "new"; file: NewFile };

/** A landing file to load: not in the manifest, and no batch of it in the lake. */
export interface NewFile {
  file: LandingFile;
  stamp: FileStamp;
  key: string;
}

export interface ClassifyContext {
  manifest: ReadonlyMap<string, ManifestEntry>;
  /** Per bronze table: file key → committed batch id (see committedLandingBatches). */
  committed: ReadonlyMap<string, ReadonlyMap<string, string>>;
  nowMs: number;
  settleMs: number;
  /** Files seen unchanged across a wait of `settleMs`: settled whatever their mtime says (a producer's clock may be ahead). */
  settled?: ReadonlySet<string>;
}

export function classifyLandingFile(candidate: LandingCandidate, context: ClassifyContext): Classified {
  const format = landingFileFormat(candidate.relative.slice(candidate.relative.lastIndexOf("/") + 1));
  if (!format) return { kind: "ignored" };
  const stamp: FileStamp = { path: candidate.relative, size: candidate.size, mtimeMs: candidate.mtimeMs };
  const previous = context.manifest.get(candidate.relative);
  if (previous) {
    if (sameStamp(previous, stamp)) return { kind: "loaded" };
    if (previous.changeReported !== undefined && sameStamp(previous.changeReported, stamp)) return { kind: "changeReported" };
    return { kind: "compare", previous };
  }
  const file: LandingFile = { absolute: candidate.absolute, relative: candidate.relative, feed: candidate.feed, ...format };
  const key = fileKey(stamp);
  const dataBatch = context.committed.get(file.feed)?.get(key);
  if (dataBatch !== undefined) return { kind: "recover", file, stamp, dataBatch, deadBatch: context.committed.get("dead_letters")?.get(key) };
  const age = context.nowMs - stamp.mtimeMs;
  if (age < context.settleMs && !context.settled?.has(file.relative)) return { kind: "settling", waitMs: context.settleMs - Math.max(0, age) };
  return { kind: "new", file: { file, stamp, key } };
}
