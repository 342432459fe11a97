import fs from "node:fs";
import path from "node:path";
import { homePaths } from "../lib/home.js";
import { UserError } from "../lib/errors.js";
import { acquireFileLock, wantLock, type FileLock, type LockWant } from "../lib/fileLock.js";
import { BRONZE_TABLE_NAMES } from "../lake/bronzeTables.js";
import { bronzeViewStatements } from "../lake/bronzeViews.js";
import { DuckDbAdapter } from "./adapters/duckdb/duckdbAdapter.js";
import { sqlIdentifier, sqlString } from "../lake/sqlText.js";
import type { StatementRows } from "./adapters/duckdb/userStatements.js";
import { openLocalWarehouse } from "./localWarehouse.js";
import { askRunningRun } from "./readServer.js";
import { appendAudit, statementHash } from "../access/auditLog.js";
import { decideRead, tablesRead, type RoleContext } from "../access/queryPolicy.js";
import { roleViewStatements, type SourceRelation } from "../access/roleViews.js";
import { statementReads } from "../access/statementReads.js";
import { isReadOnly } from "../access/tableAccess.js";
import { DEFAULT_ENVIRONMENT } from "../access/policyFile.js";

export interface QueryRequest {
  home: string;
  /** The catalog the warehouse is attached under: the project's defaultProject. */
  database: string;
  sql: string;
  /** Let the statements write: waits for the run lock and holds it, like a run. */
  write: boolean;
  lockTimeoutSeconds: number;
  onWait?: (message: string) => void;
  /** The environment the home belongs to, for the audit log (default dev). */
  environment?: string;
  /** Query as this role (`--role`): the access policy is checked and PII served masked (access/). */
  access?: RoleContext;
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
  enforce(request, await statementReads(request.sql));
  if (request.write) return write(request);
  const deadline = Date.now() + request.lockTimeoutSeconds * 1000;
  let want: LockWant | undefined;
  try {
    for (;;) {
      const lock = await tryRunLock(paths.runLock);
      if (lock) {
        try {
          return await readDirectly(request);
        } finally {
          lock.release();
        }
      }
      // A role's views are built by the reader itself (readDirectly): a run's read server has none, so a role waits for the run.
      const answered = request.access ? undefined : await askRunningRun(paths.querySocket, request.sql);
      if (answered) return answered;
      if (Date.now() >= deadline) {
        throw new UserError(
          `the warehouse is held by a pulse process that answers no queries (a query --write, or a run whose home path is too long for a socket); ` +
            `gave up after ${request.lockTimeoutSeconds}s (--lock-timeout). Lock file: ${paths.runLock}`,
          75,
        );
      }
      if (!want) {
        request.onWait?.(`waiting for the process holding ${paths.runLock} to finish (it answers no queries)...`);
        // `run --watch` keeps the warehouse between runs and hands it over when asked.
        want = wantLock(paths.runLock);
      }
      want.renew();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    want?.done();
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
    ask: true,
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
 * The access policy's verdict, recorded in the audit log whichever it is; a refusal throws (exit 1) before anything
 * runs, so a refused query never returns rows. Without a role the file's owner queries: recorded, not restricted.
 */
function enforce(request: QueryRequest, reads: Awaited<ReturnType<typeof statementReads>>): void {
  const access = request.access;
  const decision = !access
    ? { allowed: true, tablesRead: tablesRead(reads) }
    : request.write && isReadOnly(access.policy, access.role)
      ? { allowed: false, tablesRead: tablesRead(reads), reason: `role ${access.role} (environment ${access.environment}) is read-only: --write refused` }
      : request.write
        ? { allowed: true, tablesRead: tablesRead(reads) }
        : decideRead(reads, access);
  appendAudit(request.home, {
    kind: "query",
    role: access?.role ?? null,
    environment: access?.environment ?? request.environment ?? DEFAULT_ENVIRONMENT,
    statementHash: statementHash(request.sql),
    tablesRead: decision.tablesRead,
    allowed: decision.allowed,
    reason: decision.reason,
  });
  if (!decision.allowed) throw new UserError(`query refused: ${decision.reason}`, 1);
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
    await warehouse.execute(`attach ':memory:' as ${sqlIdentifier(LAKE_CATALOG)}`);
    const [schema, ...views] = bronzeViewStatements(paths.lake, { catalog: LAKE_CATALOG });
    await warehouse.execute(schema!);
    for (const [index, view] of views.entries()) if (tables.includes(BRONZE_TABLE_NAMES[index]!)) await warehouse.execute(view);
    await warehouse.execute(`set search_path = '${request.database.replace(/'/g, "''")}.main,${LAKE_CATALOG}.bronze'`);
    if (request.access) for (const statement of roleViewStatements(request.access, await sourceRelations(warehouse, request.database))) await warehouse.execute(statement);
    await warehouse.execute("set lock_configuration = true");
    return await warehouse.userStatements(request.sql, { allowWrites: false });
  } finally {
    await warehouse.close();
  }
}

/** Every relation a role's view may stand for: the warehouse's (the audit log among them), with the lake's bronze over the file's. */
async function sourceRelations(warehouse: DuckDbAdapter, database: string): Promise<SourceRelation[]> {
  const rows = await warehouse.query(
    `select database_name, schema_name, table_name, column_name, data_type from duckdb_columns()
     where database_name in (${sqlString(database)}, ${sqlString(LAKE_CATALOG)}) and schema_name <> 'main'
     order by database_name = ${sqlString(LAKE_CATALOG)}, schema_name, table_name, column_index`,
  );
  const relations = new Map<string, SourceRelation>();
  for (const row of rows) {
    const [catalog, schema, name] = [String(row.database_name), String(row.schema_name), String(row.table_name)];
    const key = `${schema}.${name}`;
    const source = [catalog, schema, name].map(sqlIdentifier).join(".");
    // The lake's views come last and replace the file's: they show the lake as it is now.
    if (relations.get(key)?.source !== source) relations.set(key, { schema, name, source, columns: [] });
    relations.get(key)!.columns.push({ name: String(row.column_name), type: String(row.data_type) });
  }
  return [...relations.values()];
}

function hasParquet(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => name.endsWith(".parquet"));
  } catch {
    return false;
  }
}
