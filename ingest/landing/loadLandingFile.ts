import type { LakeWriter } from "../../lake/lakeWriter.js";
import { sqlIdentifier } from "../../lake/sqlText.js";
import {
  BAD_LINE_ABORT,
  csvBronzeSelect,
  csvCheckedLinesSql,
  csvHeaderSql,
  deadLetterSelect,
  kafkaBronzeSelect,
  kafkaCheckedLinesSql,
  type BadLines,
} from "./checkedLinesSql.js";
import { csvLayout, FEED_FORMAT, type LandingFeed, type LandingFormat } from "./landingFeeds.js";

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
  /** `streamed`: every line was good and went straight into the batch; `checked`: staged to dead-letter bad lines. */
  path: "streamed" | "checked";
}

const CHECKED = sqlIdentifier("landing_checked");

/**
 * Loads one landing file into bronze. Most files have no bad line, so the checked lines are first streamed
 * straight into the feed's batch (no temp table: memory stays flat whatever the file size), and that query fails
 * at the first bad line. Only then is the file checked again into a temp table, its bad lines committed as a
 * dead_letters batch, then its good lines as the feed's batch. Batch ids end in `key`, so a crash after a commit is
 * found again (see loadLanding). `deadLetterBatchId` (an orphan dead-letter batch: the file has bad lines) goes
 * straight to the checked path and re-commits over it.
 */
export async function loadLandingFile(
  writer: LakeWriter,
  file: LandingFile,
  key: string,
  deadLetterBatchId?: string,
): Promise<LandingFileLoad> {
  if (FEED_FORMAT[file.feed] !== file.format) {
    throw new UnreadableLandingFile(`${file.feed} takes ${FEED_FORMAT[file.feed] === "csv" ? "CSV (.csv)" : "JSON lines (.json)"} files`);
  }
  const source = `landing:${file.relative}`;
  const connection = writer.connection;
  const checked = file.feed === "kafka_multiplex" ? kafkaCheckedLinesSql(file.absolute, file.gzip) : csvCheckedLinesSql(file.feed, file.absolute, file.gzip);
  const bronzeSelect = (rows: string, badLines: BadLines) =>
    file.feed === "kafka_multiplex" ? kafkaBronzeSelect(rows, source, badLines) : csvBronzeSelect(file.feed, rows, source, badLines);
  await readable(async () => {
    if (file.feed === "kafka_multiplex") return;
    const header = (await connection.runAndReadAll(csvHeaderSql(file.absolute, file.gzip))).getRowsJS()[0]?.[0];
    const expected = csvLayout(file.feed).header;
    if (header !== expected) {
      throw new UnreadableLandingFile(`wrong CSV header: expected '${expected}', found ${header === undefined || header === null ? "no header" : `'${String(header).slice(0, 200)}'`}`);
    }
  });
  if (deadLetterBatchId === undefined) {
    const streamed = await readable(() => writer.writeQuery(file.feed, bronzeSelect(`(${checked}) AS checked`, "abort"), { tag: key }), BAD_LINE_ABORT);
    if (streamed !== undefined) return { rows: streamed.rows, deadLetters: 0, batches: [streamed.batchId], path: "streamed" };
  }
  await readable(() => connection.run(`CREATE OR REPLACE TEMP TABLE ${CHECKED} AS ${checked}`));
  try {
    const counts = (await connection.runAndReadAll(`SELECT count(*) FILTER (WHERE reason IS NOT NULL) FROM ${CHECKED}`)).getRowsJS()[0];
    const deadLetters = Number(counts?.[0] ?? 0);
    const batches: string[] = [];
    if (deadLetters > 0) {
      const now = BigInt(Date.now()) * 1000n;
      const dead = await writer.writeQuery(
        "dead_letters",
        deadLetterSelect(CHECKED, source, file.feed, now),
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

/** DuckDB's errors for bytes it cannot read as the format (bad gzip, invalid UTF-8, line too long, …). */
const UNREADABLE_ERROR = /^(Invalid Input Error|IO Error|Conversion Error)/;

/**
 * Runs `read`, turning DuckDB's unreadable-file errors into `UnreadableLandingFile`. An error whose message
 * contains `expected` resolves to undefined instead: the caller's signal to take another path.
 */
async function readable<T>(read: () => Promise<T>, expected?: string): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UnreadableLandingFile) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (expected !== undefined && message.includes(expected)) return undefined;
    if (UNREADABLE_ERROR.test(message)) throw new UnreadableLandingFile(firstLines(message));
    throw error;
  }
}

function firstLines(message: string): string {
  return message.split("\n").filter((line) => line.trim() !== "").slice(0, 3).join(" ").slice(0, 500);
}
