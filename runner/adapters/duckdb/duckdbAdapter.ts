import { DuckDBConnection, DuckDBInstance } from "../../../lib/duckdb.js";
import { targetName, type Target } from "../../compile/graph.js";
import { SessionAdapter, type Column, type RelationInfo, type SqlTranslation, type StatementResult, type WarehouseAdapter, type WarehouseSession } from "../adapter.js";
import { NameTranslator, duckdbTranslation, relationName } from "./names.js";
import { sqlIdentifier, sqlString } from "../../../lake/sqlText.js";
import { jsonFriendly } from "./jsonFriendly.js";
import { runUserStatements, type StatementRows } from "./userStatements.js";

export interface DuckDbOptions {
  /** The warehouse file, or ":memory:". */
  path: string;
  readOnly?: boolean;
  /** The catalog name the file is attached under: the project's defaultDatabase, so Dataform names resolve. */
  database: string;
  /** Graph targets whose BigQuery names are rewritten (see NameTranslator). */
  translator?: NameTranslator;
  /** How many actions may run at once; each gets its own connection. */
  connections?: number;
  /**
   * Once the file is attached, DuckDB may touch no file outside these folders (`enable_external_access` off,
   * `allowed_directories`): no `read_text('/etc/passwd')`, no `COPY ... TO` or `ATTACH` elsewhere.
   */
  sandbox?: { directories: string[]; /** Also refuse every later SET (`lock_configuration`): for readers. */ lockConfiguration?: boolean };
}

/** Statement-level access through one connection. */
class DuckDbSession implements WarehouseSession {
  constructor(
    private readonly connection: DuckDBConnection,
    private readonly database: string,
  ) {}

  async execute(sql: string): Promise<StatementResult> {
    const extracted = await this.connection.extractStatements(sql);
    let rowsChanged: number | undefined;
    for (let index = 0; index < extracted.count; index++) {
      const prepared = await extracted.prepare(index);
      const result = await prepared.run();
      const changed = result.rowsChanged;
      if (changed > 0) rowsChanged = (rowsChanged ?? 0) + changed;
    }
    return { rowsChanged };
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjects().map((row) => jsonFriendly(row) as Record<string, unknown>);
  }

  /** A user's SQL string (`pulse query`): every statement's rows; a reader's may only read. */
  userStatements(sql: string, options: { allowWrites: boolean }): Promise<StatementRows[]> {
    return runUserStatements(this.connection, sql, options);
  }

  async describeRelation(target: Target): Promise<RelationInfo | undefined> {
    const where = `database_name = ${sqlString(target.database ?? this.database)} and schema_name = ${sqlString(target.schema ?? "main")}`;
    const kinds = await this.query(
      `select 'table' as kind from duckdb_tables() where ${where} and table_name = ${sqlString(target.name)}
       union all select 'view' from duckdb_views() where ${where} and view_name = ${sqlString(target.name)} and not internal`,
    );
    const kind = kinds[0]?.kind as RelationInfo["kind"] | undefined;
    if (!kind) return undefined;
    const columns = await this.query(`select column_name as name, data_type as type from duckdb_columns() where ${where} and table_name = ${sqlString(target.name)} order by column_index`);
    return { kind, columns: columns as unknown as Column[] };
  }

  async describeQuery(sql: string): Promise<Column[]> {
    const prepared = await this.connection.prepare(sql);
    const columns: Column[] = [];
    for (let index = 0; index < prepared.columnCount; index++) {
      columns.push({ name: prepared.columnName(index), type: prepared.columnType(index).toString() });
    }
    prepared.destroySync();
    return columns;
  }
}

export interface PinnedReader {
  run(sql: string): Promise<StatementRows[]>;
  /** Moves the snapshot to the warehouse as it is now. */
  repin(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded warehouse: one DuckDB instance with the warehouse file attached under the project's
 * default database name, and a small pool of connections so independent actions run side by side.
 * Opening it takes DuckDB's file lock: one writing process per file.
 */
export class DuckDbAdapter extends SessionAdapter implements WarehouseAdapter {
  readonly dialect = "duckdb" as const;
  /** The lake commit clock the bronze views were created at (lake/commitClock.ts), when they were. */
  lakeSnapshotMicros: bigint | undefined;
  private readonly idle: DuckDbSession[] = [];
  private readonly waiting: ((session: DuckDbSession) => void)[] = [];
  private schemaLock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connections: DuckDBConnection[],
    private readonly options: DuckDbOptions,
  ) {
    super();
    this.idle = connections.map((c) => new DuckDbSession(c, options.database));
  }

  static async open(options: DuckDbOptions): Promise<DuckDbAdapter> {
    // Bronze views read the lake's Parquet files in every query that uses them: keep their footers in memory.
    const instance = await DuckDBInstance.create(":memory:");
    const first = await instance.connect();
    await first.run("set parquet_metadata_cache = true");
    await first.run(`attach ${sqlString(options.path)} as ${sqlIdentifier(options.database)}${options.readOnly ? " (read_only)" : ""}`);
    await first.run(`use ${sqlIdentifier(options.database)}`);
    if (options.sandbox) {
      const directories = options.sandbox.directories.map((dir) => sqlString(dir.endsWith("/") ? dir : `${dir}/`));
      await first.run(`set allowed_directories = [${directories.join(", ")}]`);
      await first.run("set enable_external_access = false");
      if (options.sandbox.lockConfiguration) await first.run("set lock_configuration = true");
    }
    const connections = [first];
    for (let i = 1; i < (options.connections ?? 4); i++) {
      const connection = await instance.connect();
      await connection.run(`use ${sqlIdentifier(options.database)}`);
      connections.push(connection);
    }
    return new DuckDbAdapter(instance, connections, options);
  }

  relationName(target: Target): string {
    return relationName(target);
  }

  /** Dataform's BigQuery SQL as DuckDB reads it: names translated (when there is a graph), string escapes redone. */
  get translation(): SqlTranslation {
    return duckdbTranslation(this.options.translator);
  }

  /** `pulse query`'s statements on one session (see runUserStatements). */
  userStatements(sql: string, options: { allowWrites: boolean }): Promise<StatementRows[]> {
    return this.withSession((session) => (session as DuckDbSession).userStatements(sql, options));
  }

  /**
   * A connection whose reads all see the warehouse as it was when this was called, whatever commits later:
   * DuckDB's snapshot isolation, in a transaction held open until `close`. A run opens one before its first
   * action, so readers during the run see the state the previous run left, never a half-run.
   */
  async openPinnedReader(): Promise<PinnedReader> {
    const connection = await this.instance.connect();
    const database = sqlIdentifier(this.options.database);
    const pin = async () => {
      await connection.run("begin transaction");
      // A transaction takes its snapshot of an attached database when it first reads it.
      await connection.run(`select 1 from duckdb_tables() where database_name = ${sqlString(this.options.database)} limit 0`);
    };
    const repin = async () => {
      await connection.run("rollback").catch(() => undefined);
      await pin();
    };
    await connection.run(`use ${database}`);
    await pin();
    return {
      run: async (sql) => {
        try {
          return await runUserStatements(connection, sql, { allowWrites: false });
        } catch (error) {
          // A runtime error (a failed cast) aborts a DuckDB transaction; later readers then see the state as of now.
          await repin().catch(() => undefined);
          throw error;
        }
      },
      repin,
      close: async () => {
        await connection.run("rollback").catch(() => undefined);
        connection.closeSync();
      },
    };
  }

  translateNames(sql: string): string {
    return this.options.translator ? this.options.translator.translate(sql) : sql;
  }

  /**
   * Two catalog scans for any number of relations. DuckDB's catalog functions list every relation
   * whatever the filter, so describing actions one by one grows with the square of the graph's size.
   */
  override async describeRelations(targets: Target[], options: { columns?: boolean } = {}): Promise<Map<string, RelationInfo>> {
    // The column scan is most of the cost: 13–31 ms of a run's bookkeeping on the pipeline bench's warehouse.
    const [relations, columns] = await this.withSession(async (s) => [
      await s.query(
        `select database_name as db, schema_name as sch, table_name as name, 'table' as kind from duckdb_tables()
         union all select database_name, schema_name, view_name, 'view' from duckdb_views() where not internal`,
      ),
      options.columns === false
        ? []
        : await s.query(
            `select database_name as db, schema_name as sch, table_name as name, column_name, data_type from duckdb_columns()
             order by database_name, schema_name, table_name, column_index`,
          ),
    ]);
    const key = (db: unknown, schema: unknown, name: unknown) => JSON.stringify([db, schema, name]);
    const all = new Map<string, RelationInfo>();
    for (const r of relations) all.set(key(r.db, r.sch, r.name), { kind: r.kind as RelationInfo["kind"], columns: [] });
    for (const c of columns) all.get(key(c.db, c.sch, c.name))?.columns.push({ name: String(c.column_name), type: String(c.data_type) });
    const found = new Map<string, RelationInfo>();
    for (const target of targets) {
      const info = all.get(key(target.database ?? this.options.database, target.schema ?? "main", target.name));
      if (info) found.set(targetName(target), info);
    }
    return found;
  }

  async withSession<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const session = this.idle.pop() ?? (await new Promise<DuckDbSession>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(session);
    } finally {
      const next = this.waiting.shift();
      if (next) next(session);
      else this.idle.push(session);
    }
  }

  async ensureSchema(database: string | undefined, schema: string): Promise<void> {
    // Concurrent CREATE SCHEMA on two connections is a catalog write-write conflict in DuckDB: serialize.
    const name = [database ?? this.options.database, schema].map(sqlIdentifier).join(".");
    const next = this.schemaLock.then(() => this.execute(`create schema if not exists ${name}`));
    this.schemaLock = next.catch(() => undefined);
    await next;
  }

  async close(): Promise<void> {
    // DuckDB checkpoints an attached file on close anyway; measured on a 180 MB warehouse, the checkpoint that
    // close runs took 160 ms where an explicit CHECKPOINT first took 8 ms and left close nothing to do.
    if (!this.options.readOnly) await this.connections[0]!.run("checkpoint");
    for (const connection of this.connections) connection.closeSync();
    this.instance.closeSync();
  }
}
