import { displayText } from "../../lib/displayText.js";
import type { LakeWriter } from "../../lake/lakeWriter.js";
import { BAD_LINE_ABORT, type BadLines } from "./badLines.js";
import { csvBronzeSelect, csvCheckedLinesSql, csvHeaderSql, deadLetterSelect, kafkaBronzeSelect, kafkaCheckedLinesSql } from "./checkedLinesSql.js";
import { kafkaEnvelopeFastSql } from "./kafkaEnvelopeSql.js";
import { csvLayout, FEED_FORMAT, type CsvFeed, type LandingFeed, type LandingFormat } from "./landingFeeds.js";
import type { LandingScan } from "./landingScan.js";

/** A landing file that cannot be read at all; the loader quarantines it with `message` as the reason. */
export class UnreadableLandingFile extends Error {}

/** Raised before a commit when the file changed while it was read: nothing of it is committed, it loads once settled. */
export class LandingFileChanged extends Error {}

export interface LandingFile {
  absolute: string;
  /** Relative to `landing/`, `/`-separated; also the `_source` after `landing:`. */
  relative: string;
  feed: LandingFeed;
  format: LandingFormat;
  gzip: boolean;
  /**
   * The decompressed text of a gzip file, written under lake/_tmp by the pass that hashes it (scanFile): DuckDB reads
   * this instead, which spares it decompressing the file a second time.
   */
  plainCopy?: string;
}

export interface LandingFileLoad {
  rows: number;
  deadLetters: number;
  /** Committed batch ids, the data batch last (its presence in the lake means the file is fully loaded). */
  batches: string[];
  /**
   * `fast`: DuckDB's JSON reader took the whole file (envelope files without bad or blank lines); `streamed`: every
   * line was good and went straight into the batch; `checked`: staged to dead-letter bad lines.
   */
  path: "fast" | "streamed" | "checked";
}

export interface LandingFileOptions {
  /** An orphan dead-letter batch of this file (it has bad lines): go straight to the checked path and re-commit over it. */
  deadLetterBatchId?: string;
  /**
   * The file's line count (see scanFile), which the fast path's row count must equal. Without it an envelope file
   * streams through the line-by-line checks instead; a count that resolves to undefined makes the fast path fail.
   */
  lines?: Promise<number | undefined>;
  /**
   * Runs before each of the file's batches commits; throwing discards it. The loader checks there that the file
   * did not change while it was read and, for gzip, that it decompresses to its end.
   */
  verify?: () => Promise<void>;
}

const CHECKED = "landing_checked";

/**
 * Loads one landing file into bronze. Most files have no bad line, so the file is first streamed straight into the
 * feed's batch (no temp table: memory stays flat whatever the file size) by a query that fails at the first bad
 * line: DuckDB's JSON reader for envelope files, checked raw lines for CSV. Only then is the file checked again
 * into a temp table, its bad lines committed as a dead_letters batch, then its good lines as the feed's batch.
 * Batch ids end in `key`, so a crash after a commit is found again (see loadLanding).
 */
export async function loadLandingFile(writer: LakeWriter, file: LandingFile, key: string, options: LandingFileOptions = {}): Promise<LandingFileLoad> {
  const { deadLetterBatchId } = options;
  const beforeCommit = async () => options.verify?.();
  if (FEED_FORMAT[file.feed] !== file.format) {
    throw new UnreadableLandingFile(`${file.feed} takes ${FEED_FORMAT[file.feed] === "csv" ? "CSV (.csv)" : "JSON lines (.json)"} files`);
  }
  const scan = landingScan([file]);
  const checked = file.feed === "kafka_multiplex" ? kafkaCheckedLinesSql(scan) : csvCheckedLinesSql(file.feed, scan);
  const bronzeSelect = (rows: string, badLines: BadLines) => (file.feed === "kafka_multiplex" ? kafkaBronzeSelect(rows, badLines) : csvBronzeSelect(file.feed, rows, badLines));
  await readable([file], async () => {
    if (file.feed === "kafka_multiplex") return;
    const header = (await writer.readRows(csvHeaderSql(scan)))[0]?.header;
    const problem = csvHeaderProblem(file.feed, header);
    if (problem !== undefined) throw new UnreadableLandingFile(problem);
  });
  if (deadLetterBatchId === undefined && file.feed === "kafka_multiplex" && options.lines !== undefined) {
    const fast = await loadWhole(writer, file, scan, key, options.lines, beforeCommit);
    if (fast !== undefined) return { rows: fast.rows, deadLetters: 0, batches: [fast.batchId], path: "fast" };
  } else if (deadLetterBatchId === undefined) {
    const streamed = await readable([file], () => writer.writeQuery(file.feed, bronzeSelect(`(${checked}) AS checked`, "abort"), { tag: key, beforeCommit }), BAD_LINE_ABORT);
    if (streamed !== undefined) return { rows: streamed.rows, deadLetters: 0, batches: [streamed.batchId], path: "streamed" };
  }
  await readable([file], () => writer.stageQuery(CHECKED, checked));
  try {
    const counts = (await writer.readRows(`SELECT count(*) FILTER (WHERE reason IS NOT NULL) AS n FROM ${CHECKED}`))[0];
    const deadLetters = Number(counts?.n ?? 0);
    const batches: string[] = [];
    if (deadLetters > 0) {
      const now = BigInt(Date.now()) * 1000n;
      const dead = await writer.writeQuery("dead_letters", deadLetterSelect(CHECKED, file.feed, now), deadLetterBatchId ? { batchId: deadLetterBatchId, beforeCommit } : { tag: key, beforeCommit });
      batches.push(dead.batchId);
    }
    const data = await writer.writeQuery(file.feed, bronzeSelect(CHECKED, "skip"), { tag: key, beforeCommit });
    batches.push(data.batchId);
    return { rows: data.rows, deadLetters, batches, path: "checked" };
  } finally {
    await writer.dropStaged(CHECKED);
  }
}

/**
 * The fast path for envelope files: undefined when the file has a bad line, a line the reader skips, or text the
 * reader refuses; the checked path then reads it line by line and says which (or quarantines the file).
 */
async function loadWhole(writer: LakeWriter, file: LandingFile, scan: LandingScan, key: string, lines: Promise<number | undefined>, verify: () => Promise<void>) {
  const beforeCommit = async ({ rows }: { rows: number }) => {
    await verify();
    const expected = await lines;
    if (rows !== expected) throw new SkippedLines(`${rows} rows from ${expected ?? "an unknown number of"} lines`);
  };
  return readable([file], () => writer.writeQuery("kafka_multiplex", kafkaEnvelopeFastSql(scan), { tag: key, beforeCommit }), BAD_LINE_ABORT, true);
}

/** The reason a CSV file's first line (see csvHeaderSql; undefined or null: the file is empty) is not the feed's header. */
export function csvHeaderProblem(feed: CsvFeed, header: unknown): string | undefined {
  const expected = csvLayout(feed).header;
  if (header === expected) return undefined;
  return `wrong CSV header: expected '${expected}', found ${header === undefined || header === null ? "no header" : `'${displayText(String(header), 80)}'`}`;
}

/** A scan of landing files, each row's `_source` being `landing:<relative path>`; `readsApart` as LandingScan's. */
export function landingScan(files: readonly LandingFile[], readsApart = false): LandingScan {
  const first = files[0];
  if (files.some((f) => f.gzip !== first?.gzip || (f.plainCopy === undefined) !== (first?.plainCopy === undefined))) {
    throw new Error(`a landing scan reads files of one compression: ${files.map((f) => f.relative).join(", ")}`);
  }
  return { files: files.map((f) => ({ absolute: f.plainCopy ?? f.absolute, source: `landing:${f.relative}` })), gzip: first?.gzip === true && first.plainCopy === undefined, readsApart };
}

/** Raised before commit when a fast read skipped lines (blank ones): their numbers would be wrong. */
export class SkippedLines extends Error {}

/**
 * Whether a DuckDB error says the landing file cannot be read as its format (bad gzip, invalid UTF-8, line too
 * long, …). An I/O error counts only when it names the landing file: one about the batch file being written
 * (a full disk) is the lake's problem, which must fail the load, not quarantine a good file.
 */
export function isUnreadableFileError(message: string, landingFile: string): boolean {
  if (/^(Invalid Input Error|Conversion Error)/.test(message)) return true;
  return message.startsWith("IO Error") && message.includes(landingFile);
}

/**
 * Runs `read` over `files`, turning DuckDB's unreadable-file errors into `UnreadableLandingFile`. An error whose
 * message contains `expected` resolves to undefined instead: the caller's signal to take another path. With
 * `retryUnreadable`, so do unreadable-file errors and `SkippedLines`: the other path finds out what is wrong.
 */
export async function readable<T>(files: readonly LandingFile[], read: () => Promise<T>, expected?: string, retryUnreadable = false): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UnreadableLandingFile) throw error;
    if (retryUnreadable && error instanceof SkippedLines) return undefined;
    const message = error instanceof Error ? error.message : String(error);
    if (expected !== undefined && message.includes(expected)) return undefined;
    if (files.some((f) => isUnreadableFileError(message, f.absolute) || (f.plainCopy !== undefined && isUnreadableFileError(message, f.plainCopy)))) {
      if (retryUnreadable) return undefined;
      throw new UnreadableLandingFile(unreadableReason(message));
    }
    throw error;
  }
}

/**
 * Why DuckDB could not read a landing file, in pulse's words. DuckDB's own messages quote the offending line
 * ("Original Line: …", raw bytes and all) and call every text file a CSV (the line splitter is its CSV reader), so
 * they are never passed on as they are: the reason says what is wrong without repeating the file's contents.
 */
export function unreadableReason(message: string): string {
  const line = /on Line: (\d+)/i.exec(message)?.[1];
  const at = line === undefined ? "" : ` (line ${line})`;
  if (/not utf-8 encoded|invalid unicode/i.test(message)) return `not UTF-8 text (a binary file?)${at}`;
  if (/maximum line size|line size of/i.test(message)) return `has a line longer than 64 MiB${at}`;
  // The line splitter's column separator is U+0001 (see rawLinesSql): a second column means the line holds one.
  if (/Expected Number of Columns/i.test(message)) return `has a line with a second column: the control character U+0001 is not allowed${at}`;
  if (/gzip|zlib|decompress/i.test(message)) return "not a valid gzip file";
  const malformed = /Malformed JSON[^\n]*?line (\d+)/i.exec(message);
  if (malformed) return `not JSON lines (malformed JSON at line ${malformed[1]})`;
  const first = (message.split("\n")[0] ?? "").replace(/^[A-Za-z ]*Error: /, "").replace(/Original Line:.*/, "");
  return `cannot be read: ${displayText(first, 160)}`;
}
