import fs from "node:fs";
import { DuckDBInstance, type DuckDBValue } from "../lib/duckdb.js";
import { acquireFileLock, wantLock, type LockWant } from "../lib/fileLock.js";
import { homePaths } from "../lib/home.js";
import { jsonFriendly } from "../runner/adapters/duckdb/jsonFriendly.js";
import { sqlIdentifier, sqlString } from "../lake/sqlText.js";

/** A fixed SQL text with its bound parameters: request text only ever reaches DuckDB as a parameter value. */
export interface BoundQuery {
  sql: string;
  params?: (string | number | null)[];
}
export type Rows = Record<string, unknown>[];

/**
 * All of `pulse serve`'s access to the warehouse, in one place. DuckDB lets one process write a file and no
 * other process open it meanwhile, so the server never keeps it open: each batch of reads takes the run lock,
 * attaches the file read-only, reads, and lets go (a few tens of ms on the demo warehouse). While a run holds
 * the lock, the answers of the last read of the same queries are served (marked stale) instead of waiting.
 */
export class WarehouseReader {
  private readonly cache = new Map<string, { version: string; value: unknown }>();
  /** Asks for the run lock while pages are served from an outdated cache (lib/fileLock.ts wantLock). */
  private want: LockWant | undefined;

  constructor(
    private readonly home: string,
    private readonly database: string,
  ) {}

  /** Whether the warehouse file exists at all (it does not before the first run). */
  exists(): boolean {
    return fs.existsSync(homePaths(this.home).warehouse);
  }

  /**
   * Runs `fn` in one read-only session (one open of the file per page: opening it is most of a page's cost).
   * `key` names what `fn` reads, for the cache; `stale` says the answer is from before a run that holds the lock.
   */
  async session<T>(key: string, fn: (query: (q: BoundQuery) => Promise<Rows>) => Promise<T>): Promise<{ value: T; stale: boolean }> {
    const version = this.version();
    const cached = this.cache.get(key) as { version: string; value: T } | undefined;
    if (cached && cached.version === version) return { value: cached.value, stale: false };
    const paths = homePaths(this.home);
    let lock;
    try {
      lock = await acquireFileLock(paths.runLock, { command: "pulse serve", what: "the warehouse", timeoutSeconds: 0 });
      this.want?.done();
      this.want = undefined;
    } catch (error) {
      if (cached) {
        // A watcher keeping the warehouse open between runs hands it over when asked, so a later page is current.
        this.want ??= wantLock(paths.runLock);
        this.want.renew();
        return { value: cached.value, stale: true };
      }
      // Nothing to show yet: wait for the run, as `pulse query` would.
      lock = await acquireFileLock(paths.runLock, { command: "pulse serve", what: "the warehouse", timeoutSeconds: 600, ask: true }).catch(() => {
        throw error;
      });
    }
    try {
      const value = await this.withConnection(fn);
      this.cache.set(key, { version: this.version(), value });
      if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value!);
      return { value, stale: false };
    } finally {
      lock.release();
    }
  }

  private async withConnection<T>(fn: (query: (q: BoundQuery) => Promise<Rows>) => Promise<T>): Promise<T> {
    if (!this.exists()) return fn(async () => []);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await connection.run(`attach ${sqlString(homePaths(this.home).warehouse)} as ${sqlIdentifier(this.database)} (read_only)`);
      await connection.run(`use ${sqlIdentifier(this.database)}`);
      return await fn(async (query) => {
        const reader = await connection.runAndReadAll(query.sql, (query.params ?? []) as DuckDBValue[]);
        return reader.getRowObjects().map((row) => jsonFriendly(row) as Record<string, unknown>);
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  /** Changes whenever a run writes the file or its WAL. */
  private version(): string {
    const file = homePaths(this.home).warehouse;
    const stamp = (p: string) => {
      try {
        const s = fs.statSync(p);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return "-";
      }
    };
    return `${stamp(file)}|${stamp(`${file}.wal`)}`;
  }
}
