import fs from "node:fs";
import path from "node:path";
import { homePaths } from "../lib/home.js";
import { UserError } from "../lib/errors.js";
import { acquireFileLock, type FileLock } from "../lib/fileLock.js";
import { BRONZE_TABLE_NAMES } from "../lake/bronzeTables.js";
import { bronzeViewStatements } from "../lake/bronzeViews.js";
import { DuckDbAdapter } from "./adapters/duckdb/duckdbAdapter.js";
import { sqlIdentifier } from "../lake/sqlText.js";
import type { StatementRows } from "./adapters/duckdb/userStatements.js";
import { openLocalWarehouse } from "./localWarehouse.js";
import { askRunningRun } from "./readServer.js";

export interface QueryRequest {
  home: string;
  /** The catalog the warehouse is attached under: the project's defaultProject. */
  database: string;
  sql: string;
  /** Let the statements write: waits for the run lock and holds it, like a run. */
  write: boolean;
  lockTimeoutSeconds: number;
  onWait?: (message: string) => void;
}

/** The catalog of a reader's bronze views over the whole lake, found through the search path as `bronze.<table>`. */
const LAKE_CATALOG = "_pulse_lake";
const POLL_MS = 100;

/**
 * `pulse query`. A reader never waits for a run and never writes: while a run holds the warehouse the run
 * answers (readServer.ts) from the state the previous run left; otherwise the reader holds the run lock for
 * the moment it reads the file read-only, so no run starts into an open reader. Writers (`write`) wait for the
 * lock like a run. Either way DuckDB touches no file outside the home.
 */
export async function queryLocalWarehouse(request: QueryRequest): Promise<StatementRows[]> {
  const paths = homePaths(request.home);
  if (!fs.existsSync(paths.home)) throw new UserError(`no pulse home at ${paths.home}: nothing was ingested or run there (check --home / PULSE_HOME and --env)`, 2);
  if (request.write) return write(request);
  const deadline = Date.now() + request.lockTimeoutSeconds * 1000;
  let announced = false;
  for (;;) {
    const lock = await tryRunLock(paths.runLock);
    if (lock) {
      try {
        return await readDirectly(request);
      } finally {
        lock.release();
      }
    }
    const answered = await askRunningRun(paths.querySocket, request.sql);
    if (answered) return answered;
    if (Date.now() >= deadline) {
      throw new UserError(
        `the warehouse is held by a pulse process that answers no queries (a query --write, or a run whose home path is too long for a socket); ` +
          `gave up after ${request.lockTimeoutSeconds}s (--lock-timeout). Lock file: ${paths.runLock}`,
        75,
      );
    }
    if (!announced) request.onWait?.(`waiting for the process holding ${paths.runLock} to finish (it answers no queries)...`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function tryRunLock(file: string): Promise<FileLock | undefined> {
  try {
    return await acquireFileLock(file, { command: "pulse query (read)", what: "the warehouse", timeoutSeconds: 0 });
  } catch (error) {
    if (error instanceof UserError) return undefined;
    throw error;
  }
}

async function write(request: QueryRequest): Promise<StatementRows[]> {
  const paths = homePaths(request.home);
  const lock = await acquireFileLock(paths.runLock, {
    command: "pulse query --write",
    what: "the warehouse (--lock-timeout)",
    timeoutSeconds: request.lockTimeoutSeconds,
    onWait: (holder) => request.onWait?.(`waiting for pid ${holder.pid} ('${holder.command}') to release the warehouse...`),
  });
  try {
    const warehouse = await openLocalWarehouse({ home: request.home, database: request.database, connections: 1 });
    try {
      return await warehouse.userStatements(request.sql, { allowWrites: true });
    } finally {
      await warehouse.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * The warehouse file attached read-only (an empty catalog before the first run), with `bronze.<table>` over
 * every committed lake file: the views inside the file show the lake as the last run saw it, and a reader
 * wants what is there now. Configuration is locked before the user's SQL runs.
 */
async function readDirectly(request: QueryRequest): Promise<StatementRows[]> {
  const paths = homePaths(request.home);
  const exists = fs.existsSync(paths.warehouse);
  const warehouse = await DuckDbAdapter.open({
    path: exists ? paths.warehouse : ":memory:",
    readOnly: exists,
    database: request.database,
    connections: 1,
    sandbox: { directories: [paths.home] },
  });
  try {
    const tables = BRONZE_TABLE_NAMES.filter((table) => hasParquet(path.join(paths.bronze, table)));
    if (tables.length > 0) {
      await warehouse.execute(`attach ':memory:' as ${sqlIdentifier(LAKE_CATALOG)}`);
      const [schema, ...views] = bronzeViewStatements(paths.lake, { catalog: LAKE_CATALOG });
      await warehouse.execute(schema!);
      for (const [index, view] of views.entries()) if (tables.includes(BRONZE_TABLE_NAMES[index]!)) await warehouse.execute(view);
      await warehouse.execute(`set search_path = '${request.database.replace(/'/g, "''")}.main,${LAKE_CATALOG}.bronze'`);
    }
    await warehouse.execute("set lock_configuration = true");
    return await warehouse.userStatements(request.sql, { allowWrites: false });
  } finally {
    await warehouse.close();
  }
}

function hasParquet(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => name.endsWith(".parquet"));
  } catch {
    return false;
  }
}
