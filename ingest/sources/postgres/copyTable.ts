import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { HomePaths } from "../../../lib/home.js";
import { lakeTmpName } from "../../../lake/lakeTmp.js";
import type { LakeWriter } from "../../../lake/lakeWriter.js";
import { chunkBronzeSelect, chunkDeadLetterSelect, checkedChunkSql } from "./chunkSql.js";
import { copySql } from "./copySql.js";
import { CsvChunker } from "./csvChunks.js";
import { readLakeCursor, sourcePrefix, tableTag, type LakeCursor } from "./lakeCursor.js";
import type { SourceTable } from "./sourceTable.js";

export interface ChunkCommitted {
  table: string;
  /** Rows written to bronze, dead-lettered, and skipped as already in the lake (the overlap window's re-reads). */
  rows: number;
  deadLetters: number;
  skipped: number;
  /** The highest cursor of the chunk. */
  cursor: bigint | undefined;
}

export interface CopyPassOptions {
  client: pg.Client;
  writer: LakeWriter;
  paths: HomePaths;
  source: SourceTable;
  /** How far below the lake's highest cursor a pass starts reading again (cursor units: µs or integers). */
  overlap: bigint;
  /** Reads the progress from where bronze is (default: the lake, readLakeCursor; BigQuery: bigqueryCursor.ts). */
  readCursor?: (writer: LakeWriter, source: SourceTable, overlap: bigint) => Promise<LakeCursor>;
  rowsPerChunk: number;
  onChunk: (chunk: ChunkCommitted) => void;
  signal?: AbortSignal;
}

const STAGED = "_pg_chunk";

/**
 * One pass over a table: every row version at or above (the lake's highest cursor − overlap) that the lake does
 * not hold yet, committed in cursor-ordered chunks. Per chunk, dead letters commit before the rows; the lake's
 * cursor is the highest of the committed rows (not of dead letters), so a crash between the two renames re-reads the
 * chunk, and the dead letters already committed are skipped like any row version already in the lake.
 */
export async function copyTablePass(options: CopyPassOptions): Promise<void> {
  const { client, writer, paths, source } = options;
  const lake = await (options.readCursor ?? ((w, s, o) => readLakeCursor(w, paths, s, o)))(writer, source, options.overlap);
  const prefix = sourcePrefix(source);
  const tag = () => `${tableTag(source)}-${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
  const chunkFile = (index: number) => path.join(paths.lakeTmp, lakeTmpName(`pg-${tableTag(source)}-${index}.csv`));
  const onChunk = async (file: string, total: number): Promise<void> => {
    try {
      if (options.signal?.aborted) throw new Error("stopped");
      await writer.stageQuery(STAGED, checkedChunkSql(source.feed, source.cursor.kind, file, prefix, lake.seenTable));
      const [counts] = await writer.readRows(`SELECT count(*) FILTER (WHERE reason IS NULL)::INTEGER AS good, count(reason)::INTEGER AS bad, max(_source_line)::VARCHAR AS cursor FROM ${STAGED}`);
      const good = Number(counts?.good ?? 0);
      const bad = Number(counts?.bad ?? 0);
      if (bad > 0) await writer.writeQuery("dead_letters", chunkDeadLetterSelect(source.feed, STAGED, BigInt(Date.now()) * 1000n), { tag: tag() });
      if (good > 0) await writer.writeQuery(source.feed, chunkBronzeSelect(source.feed, STAGED), { tag: tag() });
      options.onChunk({ table: source.table, rows: good, deadLetters: bad, skipped: total - good - bad, cursor: typeof counts?.cursor === "string" ? BigInt(counts.cursor) : undefined });
    } finally {
      await rm(file, { force: true });
      await writer.dropStaged(STAGED);
    }
  };
  const copy = client.query(copyTo(copySql(source, lake.low)));
  await pipeline(copy, new CsvChunker(options.rowsPerChunk, chunkFile, onChunk));
  await writer.dropStaged(lake.seenTable);
}
