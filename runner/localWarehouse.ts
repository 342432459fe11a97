import fs from "node:fs";
import { homePaths } from "../lib/home.js";
import { UserError } from "../lib/errors.js";
import { BRONZE_TABLE_NAMES } from "../lake/bronzeTables.js";
import { bronzeViewStatements } from "../lake/bronzeViews.js";
import { ensureLake } from "../lake/ensureLake.js";
import { readCommitClock } from "../lake/commitClock.js";
import type { CompiledGraph } from "./compile/graph.js";
import { DuckDbAdapter } from "./adapters/duckdb/duckdbAdapter.js";
import { NameTranslator, graphTargets } from "./adapters/duckdb/names.js";
import { sqlIdentifier } from "../lake/sqlText.js";

export const DEFAULT_DATABASE = "pulse";

/**
 * The local warehouse: `warehouse.duckdb` with the bronze lake exposed as views. Beyond every warehouse's
 * interface it has DuckDB's reading of Dataform's SQL (`translation`) and the lake snapshot its views read
 * (`lakeSnapshotMicros`), which run history and freshness use.
 */
export type LocalWarehouse = DuckDbAdapter;

export interface OpenOptions {
  home: string;
  /** The compiled graph: its targets drive name translation, its declarations which lake tables to expose. */
  graph?: CompiledGraph;
  /** The catalog name when there is no graph (defaults to the graph's defaultDatabase, else "pulse"). */
  database?: string;
  /** Open without writing anything: read-only if the warehouse exists, an empty in-memory one if not. */
  readOnly?: boolean;
  connections?: number;
}

/** The lake tables a graph declares as sources (`bronze.<table>`), which the warehouse exposes as views. */
function declaresLakeTables(graph: CompiledGraph | undefined): boolean {
  const lakeTables = new Set<string>(BRONZE_TABLE_NAMES);
  return (graph?.declarations ?? []).some((d) => d.target.schema === "bronze" && lakeTables.has(d.target.name));
}

/**
 * Opens `$PULSE_HOME/<env>/warehouse.duckdb` (`home` is the environment's folder) under the project's default database name and exposes the bronze
 * lake in it. DuckDB allows one process per file; a clear error replaces its lock message.
 */
export async function openLocalWarehouse(options: OpenOptions): Promise<LocalWarehouse> {
  const paths = homePaths(options.home);
  const database = catalogName(options);
  const translator = options.graph ? new NameTranslator(graphTargets(options.graph)) : undefined;
  const exists = fs.existsSync(paths.warehouse);
  if (!options.readOnly) fs.mkdirSync(paths.home, { recursive: true });
  let adapter: DuckDbAdapter;
  try {
    adapter = await DuckDbAdapter.open({
      path: options.readOnly && !exists ? ":memory:" : paths.warehouse,
      readOnly: options.readOnly && exists,
      database,
      translator,
      connections: options.connections,
      // The warehouse, the lake and everything else pulse keeps are under the home; SQL needs nothing else.
      sandbox: { directories: [paths.home] },
    });
  } catch (error) {
    const message = (error as Error).message;
    if (/lock/i.test(message)) {
      throw new UserError(`the warehouse ${paths.warehouse} is in use by another process: ${message.split("\n")[0]}`, 75);
    }
    throw error;
  }
  if (!options.readOnly) await exposeLake(adapter, options);
  return adapter;
}

/**
 * Makes a warehouse opened for writing (openLocalWarehouse) ready for another run in the same process: the bronze
 * views move to the lake's latest snapshot, and the session variables of the last run (incremental read bounds,
 * includes/lookback.js) are forgotten, so a run reads only bounds it set itself, as a newly opened warehouse would.
 */
export async function refreshLocalWarehouse(adapter: LocalWarehouse, options: OpenOptions): Promise<void> {
  const variables = await adapter.query("select name from duckdb_variables()");
  for (const { name } of variables) await adapter.execute(`reset variable ${sqlIdentifier(String(name))}`);
  await exposeLake(adapter, options);
}

/** The lake's bronze tables as views, at one snapshot of the lake for everything the run reads (lake/commitClock.ts). */
async function exposeLake(adapter: LocalWarehouse, options: OpenOptions): Promise<void> {
  if (!declaresLakeTables(options.graph) && options.graph) return;
  const paths = homePaths(options.home);
  const database = catalogName(options);
  await ensureLake(options.home);
  const snapshotMicros = await readCommitClock(paths);
  for (const statement of bronzeViewStatements(paths.lake, { catalog: database, snapshotMicros })) await adapter.execute(statement);
  adapter.lakeSnapshotMicros = snapshotMicros;
}

function catalogName(options: OpenOptions): string {
  return options.graph?.projectConfig.defaultDatabase || options.database || DEFAULT_DATABASE;
}
