import { bronzeColumns, type BronzeTableName } from "../../../lake/bronzeTables.js";

/**
 * How each bronze table is laid out on BigQuery. Every table is partitioned by the day its rows were
 * ingested (`_ingested_at`), which is what silver's incremental reads filter on, so a run scans the
 * partitions loaded since its last run rather than all of bronze. `kafka_multiplex` holds three topics that
 * silver reads separately: clustering by topic lets each read skip the other topics' blocks.
 */
const CLUSTERING: Record<BronzeTableName, string[]> = {
  registered_users: [],
  gym_logins: [],
  kafka_multiplex: ["topic"],
  dead_letters: ["feed"],
};

/** A GoogleSQL string literal. */
function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

/**
 * `CREATE TABLE IF NOT EXISTS` for one bronze table with the lake's column contract (lake/bronzeTables.ts) in
 * BigQuery types. `relation` is the backticked `project.dataset.table`.
 */
export function bronzeTableDdl(relation: string, table: BronzeTableName, description?: string): string {
  const columns = bronzeColumns(table).map((c) => `  \`${c.name}\` ${c.bigqueryType}`);
  const clustering = CLUSTERING[table];
  return [
    `CREATE TABLE IF NOT EXISTS ${relation} (`,
    columns.join(",\n"),
    ")",
    "PARTITION BY DATE(_ingested_at)",
    ...(clustering.length > 0 ? [`CLUSTER BY ${clustering.join(", ")}`] : []),
    ...(description ? [`OPTIONS (description = ${stringLiteral(description)})`] : []),
  ].join("\n");
}
