import type { LakeWriter } from "../../lake/lakeWriter.js";
import { parquetFilesSql } from "../../lake/lakeReader.js";
import { BAD_LINE_ABORT } from "./badLines.js";
import { csvBronzeSelect, csvCheckedLinesSql, csvHeaderSql } from "./checkedLinesSql.js";
import { kafkaEnvelopeFastSql } from "./kafkaEnvelopeSql.js";
import { FEED_FORMAT } from "./landingFeeds.js";
import { csvHeaderProblem, LandingFileChanged, landingScan, readable, SkippedLines, UnreadableLandingFile, type LandingFile } from "./loadLandingFile.js";

export interface LandingGroupMember {
  file: LandingFile;
  /** The file's line count (see scanFile); envelope files need it, as on the single-file fast path. */
  lines: number | undefined;
  /** As LandingFileOptions.verify: runs before the group's batch commits. */
  verify: () => Promise<void>;
}

export interface LandingGroupLoad {
  batchId: string;
  /** Rows loaded per member, in member order. */
  rows: number[];
}

/**
 * Loads small landing files of one feed and compression as one batch, tagged `tag` (see landingGroups.ts), when
 * every line of every file is good: envelope files through DuckDB's JSON reader, CSV files through their checked
 * lines, each CSV file with its header. Undefined, with nothing committed, when any file has a bad or skipped line,
 * a wrong header, text the reader refuses, or a member that fails its verify: the caller then loads the files one
 * by one, which dead-letters the bad lines and quarantines, or leaves for later, what cannot be read.
 * `readsApart`: a group of large files, each read by its own call (LandingScan.readsApart).
 */
export async function loadLandingGroup(writer: LakeWriter, members: readonly LandingGroupMember[], tag: string, readsApart = false): Promise<LandingGroupLoad | undefined> {
  const files = members.map((m) => m.file);
  const feed = files[0]?.feed;
  if (feed === undefined) throw new Error("a landing group needs at least one file");
  if (files.some((f) => f.feed !== feed || f.format !== FEED_FORMAT[feed] || f.gzip !== files[0]!.gzip)) {
    throw new Error(`a landing group holds files of one feed, its format and one compression: ${files.map((f) => f.relative).join(", ")}`);
  }
  const lineCounts = members.map((m) => m.lines);
  // Envelope files are checked against their line counts before the commit (below), so their lines number by them.
  const scan = { ...landingScan(files, readsApart), ...(feed === "kafka_multiplex" && lineCounts.every((n): n is number => n !== undefined) ? { lineCounts } : {}) };
  const sources = scan.files.map((f) => f.source);
  if (feed !== "kafka_multiplex") {
    const headers = await readable(files, () => writer.readRows(csvHeaderSql(scan)), undefined, true);
    if (headers === undefined) return undefined;
    const headerOf = new Map(headers.map((h) => [h._source, h.header]));
    if (sources.some((source) => csvHeaderProblem(feed, headerOf.get(source)) !== undefined)) return undefined;
  }
  const select = feed === "kafka_multiplex" ? kafkaEnvelopeFastSql(scan) : csvBronzeSelect(feed, `(${csvCheckedLinesSql(feed, scan)}) AS checked`, "abort");
  let rows: number[] = [];
  const beforeCommit = async ({ file }: { file: string }) => {
    for (const member of members) await member.verify();
    const counts = await writer.readRows(`SELECT _source, count(*) AS n FROM ${parquetFilesSql([file])} GROUP BY _source`);
    const bySource = new Map(counts.map((c) => [c._source, Number(c.n)]));
    rows = sources.map((source) => bySource.get(source) ?? 0);
    // The JSON reader skips blank lines, which would shift the numbers of the lines after them.
    if (feed === "kafka_multiplex" && members.some((m, i) => rows[i] !== m.lines)) throw new SkippedLines("a file of the group has lines the reader skipped");
  };
  let batch;
  try {
    batch = await readable(files, () => writer.writeQuery(feed, select, { tag, beforeCommit }), BAD_LINE_ABORT, true);
  } catch (error) {
    if (error instanceof UnreadableLandingFile || error instanceof LandingFileChanged) return undefined;
    throw error;
  }
  return batch === undefined ? undefined : { batchId: batch.batchId, rows };
}
