import pg from "pg";
import { BRONZE_DATA_COLUMNS } from "../lake/bronzeTables.js";
import { UserError } from "../lib/errors.js";
import { sleep } from "../lib/sleep.js";
import type { SyntheticConfig } from "./synthetic/config.js";
import { syntheticEvents } from "./synthetic/events.js";
import { iterationFiles, readLines } from "./replay.js";
import { Pacer } from "./sinkProgress.js";

/** The demo database's two tables (services/postgresDemo.ts); their data columns are the landing CSV columns. */
export type PostgresTable = "registered_users" | "gym_logins";

/** One row for a demo table: its CSV columns in order, as text (PostgreSQL casts), NULL for an empty field. */
export interface PostgresRow {
  table: PostgresTable;
  values: (string | null)[];
}

/** The registered_users and gym_logins lines of one iteration of a data set, as rows (headers and blank lines skipped). */
export async function* replayRows(from: string, iteration: number): AsyncGenerator<PostgresRow> {
  for (const file of await iterationFiles(from, iteration)) {
    if (file.feed !== "registered_users" && file.feed !== "gym_logins") continue;
    const width = BRONZE_DATA_COLUMNS[file.feed].length;
    let lineNumber = 0;
    for await (const line of readLines(file)) {
      lineNumber += 1;
      if (lineNumber === 1 || line.trim() === "") continue;
      const fields = line.split(",").map((f) => (f.trim() === "" ? null : f.trim()));
      if (fields.length !== width) throw new UserError(`${file.path}:${lineNumber}: expected ${width} comma-separated fields, found ${fields.length}`);
      yield { table: file.feed, values: fields };
    }
  }
}

/** The synthetic fleet's registrations and gym visits, in emit order. */
export function* syntheticRows(config: SyntheticConfig): Generator<PostgresRow> {
  for (const e of syntheticEvents(config)) {
    if (e.feed === "registered_users") yield { table: e.feed, values: [String(e.userId), String(e.deviceId), e.mac, String(e.registeredAt)] };
    else if (e.feed === "gym_logins") yield { table: e.feed, values: [e.mac, String(e.gym), String(e.login), String(e.logout)] };
  }
}

export interface ToPostgresOptions {
  url: string;
  /** Rows per second; undefined: as fast as the database takes them. */
  rate?: number;
  progressMs: number;
  log: (line: string) => void;
}

/** Rows per INSERT when unpaced: a few thousand parameters per statement, well under PostgreSQL's 65,535. */
const MAX_ROWS_PER_INSERT = 1000;

/** Inserts rows into the demo tables, in order, one multi-row INSERT per run of rows of the same table. */
export async function produceToPostgres(rows: AsyncIterable<PostgresRow> | Iterable<PostgresRow>, options: ToPostgresOptions): Promise<number> {
  const client = new pg.Client({ connectionString: options.url, application_name: "pulse-produce" });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const u = new URL(options.url);
    throw new UserError(`produce: cannot reach PostgreSQL at ${u.hostname}:${u.port || "5432"}: ${(error as Error).message || String((error as { code?: string }).code)}`, 1);
  }
  const pacer = new Pacer(options.rate, options.log, options.progressMs, "produce postgres");
  let pending: PostgresRow[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const table = pending[0]!.table;
    const columns = BRONZE_DATA_COLUMNS[table].map((c) => pg.escapeIdentifier(c.name));
    const tuples = pending.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(", ")})`);
    await client.query(
      `INSERT INTO ${pg.escapeIdentifier(table)} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`,
      pending.flatMap((row) => row.values),
    );
    pacer.add(pending.length);
    pending = [];
  };
  try {
    for await (const row of rows) {
      if (pending.length > 0 && (pending[0]!.table !== row.table || pending.length >= pacer.chunkSize(MAX_ROWS_PER_INSERT))) {
        await flush();
        const wait = pacer.delayMs();
        if (wait > 0) await sleep(wait);
      }
      pending.push(row);
    }
    await flush();
    options.log(pacer.summary());
    return pacer.count;
  } finally {
    await client.end().catch(() => undefined);
  }
}
