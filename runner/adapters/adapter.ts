import { targetName, type Target } from "../compile/graph.js";

export type Dialect = "duckdb" | "bigquery";

export interface Column {
  name: string;
  type: string;
}

export interface RelationInfo {
  kind: "table" | "view";
  columns: Column[];
}

/** How an engine reads the SQL Dataform rendered for BigQuery. */
export interface SqlTranslation {
  /** Rewrites the BigQuery names in a query into the engine's names. */
  names(sql: string): string;
  /** The same for a built-in (rowConditions) assertion's query, which also quotes each condition in a string literal. */
  builtInAssertion(sql: string): string;
}

/** BigQuery: Dataform's SQL as rendered. */
export const AS_RENDERED: SqlTranslation = { names: (sql) => sql, builtInAssertion: (sql) => sql };

export interface StatementResult {
  /** Rows the statement inserted, updated or deleted, where the engine reports it. */
  rowsChanged?: number;
}

/**
 * Everything the runner needs from a warehouse. The planner never sees an adapter: it produces SQL
 * text; the executor hands that text to an adapter. Names passed here are Dataform targets.
 */
export interface WarehouseAdapter {
  readonly dialect: Dialect;
  /** Renders a target as this engine's quoted relation name. */
  relationName(target: Target): string;
  /** Executes a statement (possibly several separated by semicolons) and reports rows changed. */
  execute(sql: string): Promise<StatementResult>;
  /** Runs a query and returns its rows as JSON-friendly objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Table/view metadata, or undefined when the relation does not exist. */
  describeRelation(target: Target): Promise<RelationInfo | undefined>;
  /** The columns a query would produce, without running it to completion. */
  describeQuery(sql: string): Promise<Column[]>;
  /**
   * Metadata of many relations at once, keyed by `targetName`; relations that do not exist are absent. With
   * `columns: false` an engine may leave `columns` empty, when only existence and kind matter.
   */
  describeRelations(targets: Target[], options?: { columns?: boolean }): Promise<Map<string, RelationInfo>>;
  /** Creates the schema (dataset) if it does not exist. */
  ensureSchema(database: string | undefined, schema: string): Promise<void>;
  /** Runs `fn` with a dedicated session, so statements of one action never interleave with another's. */
  withSession<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One connection's worth of the adapter: used for the statements of one action, in order. */
export type WarehouseSession = Pick<WarehouseAdapter, "execute" | "query" | "describeRelation" | "describeQuery"> & {
  /** Bytes a statement would process (BigQuery: a dry-run job), or undefined when the engine does not say. Engines that bill by bytes only. */
  estimateBytes?(sql: string): Promise<number | undefined>;
};

/**
 * The statement-level methods of an adapter, each run on a session of its own. Engines implement
 * sessions; this supplies the one-off calls on top of them.
 */
export abstract class SessionAdapter {
  abstract withSession<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T>;

  execute(sql: string): Promise<StatementResult> {
    return this.withSession((s) => s.execute(sql));
  }

  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.withSession((s) => s.query(sql));
  }

  describeRelation(target: Target): Promise<RelationInfo | undefined> {
    return this.withSession((s) => s.describeRelation(target));
  }

  describeQuery(sql: string): Promise<Column[]> {
    return this.withSession((s) => s.describeQuery(sql));
  }

  /**
   * Engines without a cheap catalog scan describe each target, several at a time: on BigQuery each is an
   * API round trip, and a run of a few hundred tables must not wait for them one by one.
   */
  async describeRelations(targets: Target[]): Promise<Map<string, RelationInfo>> {
    const found = new Map<string, RelationInfo>();
    const queue = [...targets];
    const worker = async () => {
      for (let target = queue.shift(); target; target = queue.shift()) {
        const info = await this.describeRelation(target);
        if (info) found.set(targetName(target), info);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
    return found;
  }
}
