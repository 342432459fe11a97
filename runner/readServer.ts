import fs from "node:fs";
import net from "node:net";
import { z } from "zod";
import { UserError } from "../lib/errors.js";
import type { DuckDbAdapter } from "./adapters/duckdb/duckdbAdapter.js";
import type { StatementRows } from "./adapters/duckdb/userStatements.js";

/**
 * While a run holds the warehouse, DuckDB lets no other process open the file, not even to read. So the run
 * answers readers itself: on a Unix socket in PULSE_HOME (0600), from a transaction opened before its first
 * action. A query of gold during a full refresh gets the previous run's state at once instead of waiting.
 */

const Request = z.object({ sql: z.string().min(1).max(1_000_000) });
const Answer = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), results: z.array(z.object({ columns: z.array(z.string()), rows: z.array(z.record(z.string(), z.unknown())) })) }),
  z.object({ ok: z.literal(false), error: z.string(), exitCode: z.number().int() }),
]);
type Answer = z.infer<typeof Answer>;

/** A request longer than this is not a query: the connection is dropped. */
const MAX_REQUEST_BYTES = 2_000_000;

export interface ReadServer {
  /** Readers see the warehouse as it is now (after a run, when the warehouse stays open for the next one). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts answering reads for the run that holds `adapter` (and the run lock, so the socket path is its own to
 * replace). Returns undefined when the socket cannot be made (e.g. a path beyond the 107-byte limit of Unix
 * sockets): readers then wait for the run, as before.
 */
export async function serveReads(adapter: DuckDbAdapter, socketPath: string): Promise<ReadServer | undefined> {
  const reader = await adapter.openPinnedReader();
  const sockets = new Set<net.Socket>();
  // One DuckDB connection answers, one query at a time.
  let queue: Promise<void> = Promise.resolve();
  const answer = async (line: string): Promise<Answer> => {
    try {
      const request = Request.parse(JSON.parse(line));
      return { ok: true, results: await reader.run(request.sql) };
    } catch (error) {
      return { ok: false, error: (error as Error).message, exitCode: error instanceof UserError ? error.exitCode : 1 };
    }
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return void socket.destroy();
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      socket.removeAllListeners("data");
      const line = buffer.slice(0, newline);
      queue = queue.then(async () => {
        const response = await answer(line);
        if (!socket.destroyed) socket.end(`${JSON.stringify(response)}\n`);
      });
    });
  });
  try {
    fs.rmSync(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o600);
  } catch {
    server.close();
    await reader.close();
    return undefined;
  }
  return {
    refresh: async () => {
      // Not pinned again (the connection is gone), a reader answers from the latest commit of each query instead.
      queue = queue.then(() => reader.repin()).catch(() => undefined);
      await queue;
    },
    close: async () => {
      server.close();
      for (const socket of sockets) socket.destroy();
      await queue;
      await reader.close();
      fs.rmSync(socketPath, { force: true });
    },
  };
}

/**
 * Asks the run that holds the warehouse to answer `sql`. Undefined when no run answers on the socket (none
 * started its server yet, or the holder is a writer that serves no reads): the caller tries again.
 */
export function askRunningRun(socketPath: string, sql: string): Promise<StatementRows[] | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = "";
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify({ sql })}\n`));
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", () => settle(() => resolve(undefined)));
    socket.on("close", () =>
      settle(() => {
        // Closed without an answer: the run ended meanwhile.
        if (!text.endsWith("\n")) return resolve(undefined);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const parsed = Answer.safeParse(body);
        if (!parsed.success) return reject(new Error(`the running pulse process answered something that is not a query result: ${parsed.error.message}`));
        if (!parsed.data.ok) return reject(new UserError(parsed.data.error, parsed.data.exitCode));
        resolve(parsed.data.results);
      }),
    );
  });
}
