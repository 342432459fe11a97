import type { LakeWriter } from "../../../lake/lakeWriter.js";
import type { BigQueryBatches } from "../../sink/bigqueryBatches.js";
import { seenTableName, sourcePrefix, type LakeCursor } from "./lakeCursor.js";
import type { SourceTable } from "./sourceTable.js";

/**
 * readLakeCursor with BigQuery as bronze (`--sink bigquery`): the same progress, read from the rows committed
 * there. Rows of a source table are those whose `_source` starts with its prefix; the highest `_source_line`
 * among its rows is the cursor (committed with the rows, by the same BatchCommitWriteStreams), and the row
 * versions at or above the overlap window's low end, rows and dead letters, are staged for the anti-join.
 */
export async function readBigQueryCursor(batches: BigQueryBatches, writer: LakeWriter, source: SourceTable, overlap: bigint): Promise<LakeCursor> {
  const prefix = sourcePrefix(source);
  const feed = `\`${batches.tableName(source.feed)}\``;
  const [max] = await batches.query(`SELECT CAST(max(_source_line) AS STRING) AS high FROM ${feed} WHERE STARTS_WITH(_source, @prefix)`, { prefix });
  const high = typeof max?.high === "string" ? BigInt(max.high) : undefined;
  const low = high === undefined ? undefined : high - overlap;
  const window = `STARTS_WITH(_source, @prefix)${low === undefined ? "" : ` AND _source_line >= ${low.toString()}`}`;
  const seen = await batches.query(
    `SELECT DISTINCT _source, CAST(_source_line AS STRING) AS line FROM (
       SELECT _source, _source_line FROM ${feed} WHERE ${window}
       UNION ALL SELECT _source, _source_line FROM \`${batches.tableName("dead_letters")}\` WHERE ${window})`,
    { prefix },
  );
  const seenTable = seenTableName(source);
  await writer.stageAppended(seenTable, "_source VARCHAR, _source_line BIGINT", (appender) => {
    for (const row of seen) {
      appender.appendVarchar(String(row._source));
      appender.appendBigInt(BigInt(String(row.line)));
      appender.endRow();
    }
  });
  return { high, low, seenTable };
}
