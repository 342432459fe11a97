import type { LakeWriter } from "../../lake/lakeWriter.js";
import { sqlIdentifier } from "../../lake/sqlText.js";
import { BAD_LINE_ABORT, type BadLines } from "./badLines.js";
import { csvBronzeSelect, csvCheckedLinesSql, csvHeaderSql, deadLetterSelect, kafkaBronzeSelect, kafkaCheckedLinesSql } from "./checkedLinesSql.js";
import { kafkaEnvelopeFastSql } from "./kafkaEnvelopeSql.js";
import { csvLayout, FEED_FORMAT, type CsvFeed, type LandingFeed, type LandingFormat } from "./landingFeeds.js";
import type { LandingScan } from "./landingScan.js";

/** A landing file that cannot be read at all; the loader quarantines it with `message` as the reason. */
export class UnreadableLandingFile extends Error {}

export interface LandingFile {
  absolute: string;
  /** Relative to `landing/`, `/`-separated; also the `_source` after `landing:`. */
  relative: string;
  feed: LandingFeed;
  format: LandingFormat;
  gzip: boolean;
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
}

const CHECKED = sqlIdentifier("landing_checked");

/**
 * Loads one landing file into bronze. Most files have no bad line, so the file is first streamed straight into the
 * feed's batch (no temp table: memory stays flat whatever the file size) by a query that fails at the first bad
 * line: DuckDB's JSON reader for envelope files, checked raw lines for CSV. Only then is the file checked again
 * into a temp table, its bad lines committed as a dead_letters batch, then its good lines as the feed's batch.
 * Batch ids end in `key`, so a crash after a commit is found again (see loadLanding).
 */
export async function loadLandingFile(writer: LakeWriter, file: LandingFile, key: string, options: LandingFileOptions = {}): Promise<LandingFileLoad> {
  const { deadLetterBatchId } = options;
  if (FEED_FORMAT[file.feed] !== file.format) {
    throw new UnreadableLandingFile(`${file.feed} takes ${FEED_FORMAT[file.feed] === "csv" ? "CSV (.csv)" : "JSON lines (.json)"} files`);
  }
  const scan = landingScan([file]);
  const connection = writer.connection;
  const checked = file.feed === "kafka_multiplex" ? kafkaCheckedLinesSql(scan) : csvCheckedLinesSql(file.feed, scan);
  const bronzeSelect = (rows: string, badLines: BadLines) =>
    file.feed === "kafka_multiplex" ? kafkaBronzeSelect(rows, badLines) : csvBronzeSelect(file.feed, rows, badLines);
  await readable([file], async () => {
    if (file.feed === "kafka_multiplex") return;
    const header = (await connection.runAndReadAll(csvHeaderSql(scan))).getRowObjectsJS()[0]?.header;
    const problem = csvHeaderProblem(file.feed, header);
    if (problem !== undefined) throw new UnreadableLandingFile(problem);
  });
  if (deadLetterBatchId === undefined && file.feed === "kafka_multiplex" && options.lines !== undefined) {
    const fast = await loadWhole(writer, file, scan, key, options.lines);
    if (fast !== undefined) return { rows: fast.rows, deadLetters: 0, batches: [fast.batchId], path: "fast" };
  } else if (deadLetterBatchId === undefined) {
    const streamed = await readable([file], () => writer.writeQuery(file.feed, bronzeSelect(`(${checked}) AS checked`, "abort"), { tag: key }), BAD_LINE_ABORT);
    if (streamed !== undefined) return { rows: streamed.rows, deadLetters: 0, batches: [streamed.batchId], path: "streamed" };
  }
  await readable([file], () => connection.run(`CREATE OR REPLACE TEMP TABLE ${CHECKED} AS ${checked}`));
  try {
    const counts = (await connection.runAndReadAll(`SELECT count(*) FILTER (WHERE reason IS NOT NULL) FROM ${CHECKED}`)).getRowsJS()[0];
    const deadLetters = Number(counts?.[0] ?? 0);
    const batches: string[] = [];
    if (deadLetters > 0) {
      const now = BigInt(Date.now()) * 1000n;
      const dead = await writer.writeQuery(
        "dead_letters",
        deadLetterSelect(CHECKED, file.feed, now),
        deadLetterBatchId ? { batchId: deadLetterBatchId } : { tag: key },
      );
      batches.push(dead.batchId);
    }
    const data = await writer.writeQuery(file.feed, bronzeSelect(CHECKED, "skip"), { tag: key });
    batches.push(data.batchId);
    return { rows: data.rows, deadLetters, batches, path: "checked" };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${CHECKED}`);
  }
}

/**
 * The fast path for envelope files: undefined when the file has a bad line, a line the reader skips, or text the
 * reader refuses; the checked path then reads it line by line and says which (or quarantines the file).
 */
async function loadWhole(writer: LakeWriter, file: LandingFile, scan: LandingScan, key: string, lines: Promise<number | undefined>) {
  const beforeCommit = async ({ rows }: { rows: number }) => {
    const expected = await lines;
    if (rows !== expected) throw new SkippedLines(`${rows} rows from ${expected ?? "an unknown number of"} lines`);
  };
  return readable([file], () => writer.writeQuery("kafka_multiplex", kafkaEnvelopeFastSql(scan), { tag: key, beforeCommit }), BAD_LINE_ABORT, true);
}

/** The reason a CSV file's first line (see csvHeaderSql; undefined or null: the file is empty) is not the feed's header. */
export function csvHeaderProblem(feed: CsvFeed, header: unknown): string | undefined {
  const expected = csvLayout(feed).header;
  if (header === expected) return undefined;
  return `wrong CSV header: expected '${expected}', found ${header === undefined || header === null ? "no header" : `'${String(header).slice(0, 200)}'`}`;
}

/** A scan of landing files, each row's `_source` being `landing:<relative path>`. */
export function landingScan(files: readonly LandingFile[]): LandingScan {
  return { files: files.map((f) => ({ absolute: f.absolute, source: `landing:${f.relative}` })), gzip: files[0]?.gzip ?? false };
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
    if (files.some((f) => isUnreadableFileError(message, f.absolute))) {
      if (retryUnreadable) return undefined;
      throw new UnreadableLandingFile(firstLines(message));
    }
    throw error;
  }
}

function firstLines(message: string): string {
  return message.split("\n").filter((line) => line.trim() !== "").slice(0, 3).join(" ").slice(0, 500);
}
