import path from "node:path";
import pg from "pg";
import { acquireFileLock, type FileLock } from "../../../lib/fileLock.js";
import { homePaths } from "../../../lib/home.js";
import { UserError } from "../../../lib/errors.js";
import { sleep } from "../../../lib/sleep.js";
import { LakeWriter } from "../../../lake/lakeWriter.js";
import { formatCount } from "../../progressLine.js";
import type { CsvFeed } from "../../landing/landingFeeds.js";
import type { BronzeSinkSpec } from "../../sink/bronzeTarget.js";
import { copyTablePass, type ChunkCommitted, type CopyPassOptions } from "./copyTable.js";
import { tableTag } from "./lakeCursor.js";
import { describeSourceTable, type CursorKind, type SourceTable } from "./sourceTable.js";

export interface PostgresIngestOptions {
  home: string;
  url: string;
  schema: string;
  tables: CsvFeed[];
  cursorColumn: string;
  keyColumn?: string;
  /** The overlap window: µs for timestamp cursors, values for integer cursors (see `overlapFor`). */
  overlapMs: number;
  overlapValues: number;
  /** undefined: one pass per table, then return (`--once`). */
  intervalMs?: number;
  rowsPerChunk: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Where bronze goes: the lake (the default) or BigQuery, the cursor then read from BigQuery (bigqueryCursor.ts). */
  sink?: BronzeSinkSpec;
}

/** Where a URL points, for errors: never the password. */
export function urlTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname}`;
  } catch {
    throw new UserError("postgres: --url must be a URL like postgres://user@host:5432/database");
  }
}

function overlapFor(kind: CursorKind, options: PostgresIngestOptions): bigint {
  return kind === "timestamp" ? BigInt(Math.round(options.overlapMs * 1000)) : BigInt(options.overlapValues);
}

function formatCursor(kind: CursorKind, cursor: bigint | undefined): string {
  if (cursor === undefined) return "-";
  return kind === "timestamp" ? new Date(Number(cursor / 1000n)).toISOString() : cursor.toString();
}

/** Connection failures (refused, reset, timed out, the server shutting down), which polling outlasts with back-off. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (/^E(CONN|HOSTUNREACH|NETUNREACH|AI_AGAIN|PIPE|TIMEDOUT|NOTFOUND)/.test(code) || code.startsWith("08") || code.startsWith("57P"))) return true;
  return error instanceof Error && /Connection terminated|connection timeout/i.test(error.message);
}

/**
 * `pulse ingest --source postgres`: copies new and changed rows of each table into bronze, once or every
 * `intervalMs`. The cursor is the lake's (lakeCursor.ts); one process per table and home (a lock), so two copies
 * cannot interleave. An unreachable database fails `--once` with host and port, and is retried with back-off
 * (1 s doubling to 30 s) while polling; a table that does not fit bronze fails before anything is written.
 */
export async function runPostgresIngest(options: PostgresIngestOptions): Promise<void> {
  const paths = homePaths(options.home);
  const target = urlTarget(options.url);
  const locks: FileLock[] = [];
  const bronze = await openBronze(options);
  const { writer } = bronze;
  try {
    for (const table of options.tables) {
      const lockFile = path.join(paths.ingestState, `postgres-${tableTag({ schema: options.schema, table })}.lock`);
      locks.push(await acquireFileLock(lockFile, { command: "ingest --source postgres", what: `${options.schema}.${table} (a postgres ingest of it is running)`, timeoutSeconds: 0 }));
    }
    let backoffMs = 1000;
    while (!options.signal?.aborted) {
      try {
        await ingestConnected(options, bronze, paths, target);
        return;
      } catch (error) {
        // A stop request ends a pass at its next chunk; what was committed stays, and the next run resumes from it.
        if (options.signal?.aborted) return;
        if (!isConnectionError(error)) throw error;
        const why = `cannot reach PostgreSQL at ${target}: ${error instanceof Error ? error.message || String((error as { code?: string }).code) : String(error)}`;
        if (options.intervalMs === undefined) throw new UserError(`postgres: ${why}`, 1);
        options.log(`${why}; retrying in ${backoffMs / 1000} s`);
        await sleep(backoffMs, { signal: options.signal });
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  } finally {
    await writer.close();
    bronze.close();
    for (const lock of locks) lock.release();
  }
}

interface Bronze {
  writer: LakeWriter;
  /** undefined: the lake's (copyTable.ts's default). */
  readCursor?: CopyPassOptions["readCursor"];
  /** Where the rows went, for the pass line. */
  name: string;
  close(): void;
}

/** The writer for `--sink`: the lake's, or one publishing to BigQuery (imported only when asked for: gRPC loads slowly). */
async function openBronze(options: PostgresIngestOptions): Promise<Bronze> {
  if (options.sink?.kind !== "bigquery") return { writer: await LakeWriter.open(options.home), name: "the lake", close: () => undefined };
  const [{ BigQueryBatches }, { readBigQueryCursor }] = await Promise.all([import("../../sink/bigqueryBatches.js"), import("./bigqueryCursor.js")]);
  const batches = await BigQueryBatches.open(options.sink, [...options.tables, "dead_letters"]);
  return {
    writer: await LakeWriter.open(options.home, { publish: batches.publish }),
    readCursor: (writer, source, overlap) => readBigQueryCursor(batches, writer, source, overlap),
    name: batches.name,
    close: () => batches.close(),
  };
}

async function ingestConnected(options: PostgresIngestOptions, bronze: Bronze, paths: ReturnType<typeof homePaths>, target: string): Promise<void> {
  const { writer } = bronze;
  // UTC: a `timestamp without time zone` cursor then compares to the same instants bronze stores.
  const client = new pg.Client({ connectionString: options.url, options: "-c TimeZone=UTC", application_name: "pulse-ingest", connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const sources: SourceTable[] = [];
    for (const table of options.tables) sources.push(await describeSourceTable(client, { schema: options.schema, table, cursorColumn: options.cursorColumn, keyColumn: options.keyColumn }));
    options.log(`${target}: ${sources.map((s) => `${s.schema}.${s.table} (key ${s.key}, cursor ${s.cursor.column})`).join(", ")}`);
    for (;;) {
      for (const source of sources) {
        if (options.signal?.aborted) return;
        const started = Date.now();
        const total = { rows: 0, deadLetters: 0, skipped: 0, cursor: undefined as bigint | undefined };
        const onChunk = (chunk: ChunkCommitted) => {
          if (chunk.rows + chunk.deadLetters === 0) return;
          total.rows += chunk.rows;
          total.deadLetters += chunk.deadLetters;
          total.skipped += chunk.skipped;
          total.cursor = chunk.cursor ?? total.cursor;
          const rate = (total.rows * 1000) / Math.max(1, Date.now() - started);
          options.log(`${source.table}: ${formatCount(total.rows)} rows (${formatCount(rate)} rows/s), ${total.deadLetters} dead letters, cursor ${formatCursor(source.cursor.kind, total.cursor)}`);
        };
        await copyTablePass({
          client,
          writer,
          paths,
          source,
          overlap: overlapFor(source.cursor.kind, options),
          readCursor: bronze.readCursor,
          rowsPerChunk: options.rowsPerChunk,
          onChunk,
          signal: options.signal,
        });
        if (options.intervalMs === undefined || total.rows + total.deadLetters > 0) {
          options.log(`${source.table}: pass done, ${formatCount(total.rows)} new rows, ${total.deadLetters} dead letters, ${formatCount(total.skipped)} already in ${bronze.name} (overlap window)`);
        }
      }
      if (options.intervalMs === undefined || options.signal?.aborted) return;
      await sleep(options.intervalMs, { signal: options.signal });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
