import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll } from "vitest";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURE = path.join(REPO, "tests", "fixtures", "runner-project");
const CLI = path.join(REPO, "dist", "cli", "main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm test` builds first) as a user would, and collects its output. */
export function pulse(args: string[], options: { onStderr?: (text: string) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Every test passes --home; a PULSE_HOME from the caller's shell must not leak into a test's state.
    const env = { ...process.env };
    delete env.PULSE_HOME;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `pulse run` on the fixture project with a given home. */
export function runFixture(home: string, ...args: string[]): Promise<CliResult> {
  return pulse(["run", "--project", FIXTURE, "--home", home, ...args]);
}

export interface RunJson {
  runId: string;
  dryRun: boolean;
  actions: { name: string; type: string; status: string; mode?: string; rows?: number; error?: string; skippedBecause?: string; plan?: { steps: { label: string; sql: string }[] } }[];
}

export function parseRun(result: CliResult): RunJson {
  try {
    return JSON.parse(result.stdout) as RunJson;
  } catch {
    throw new Error(`pulse printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export function statuses(run: RunJson): Record<string, string> {
  return Object.fromEntries(run.actions.map((a) => [a.name, a.status]));
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test file. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-runner-"));
  made.push(dir);
  return dir;
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return String(value);
  return value;
}

/**
 * Opens the warehouse file the way pulse does (attached under the fixture's defaultProject, so views
 * naming "fixture"."core"."x" resolve), runs `fn`, and closes it so the next CLI run can take the file.
 */
async function withWarehouse<T>(home: string, readOnly: boolean, fn: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>, env = "dev"): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    // The CLI keeps each environment's warehouse in <--home>/<env>/.
    const file = path.join(home, env, "warehouse.duckdb").replace(/'/g, "''");
    await connection.run(`attach '${file}' as fixture${readOnly ? " (read_only)" : ""}`);
    await connection.run("use fixture");
    return await fn(async (sql) => {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Rows of a query on the warehouse a finished run left, numbers as numbers. */
export function query(home: string, sql: string, env = "dev"): Promise<Record<string, unknown>[]> {
  return withWarehouse(home, true, (run) => run(sql), env);
}

/** The declared source raw.users exists outside the graph: a test loads it, as an ingest process would. */
export async function seedUsers(home: string, env = "dev"): Promise<void> {
  fs.mkdirSync(path.join(home, env), { recursive: true });
  await withWarehouse(
    home,
    false,
    async (run) => {
      await run("create schema if not exists raw");
      await run("create table raw.users (user_id bigint, name varchar)");
      await run("insert into raw.users values (1, 'ann'), (2, 'bob'), (3, 'cy')");
    },
    env,
  );
}

/** A home with raw.users loaded and a first successful run of the whole fixture. */
export async function homeAfterFirstRun(...args: string[]): Promise<string> {
  const home = path.join(tempDir(), "home");
  await seedUsers(home);
  const result = await runFixture(home, ...args);
  if (result.code !== 0) throw new Error(`first run failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return home;
}

/**
 * `pulse run` of the fixture plus one operation, `sql`, in which GATE names a FIFO in the home: DuckDB blocks
 * opening it until the test calls `openGate`, so the run holds the warehouse exactly as long as the test needs.
 * `started` resolves once the run serves reads (its warehouse is open).
 */
export function gatedRun(
  home: string,
  sql: string,
): { child: ChildProcess; started: Promise<void>; exited: Promise<number | null>; reached(): Promise<number | undefined>; openGate(): Promise<void> } {
  const project = path.join(tempDir(), "project");
  fs.cpSync(FIXTURE, project, { recursive: true });
  // Inside the environment folder: the run's DuckDB may open files there only.
  const gate = path.join(home, "dev", "gate.fifo");
  fs.mkdirSync(path.dirname(gate), { recursive: true });
  execFileSync("mkfifo", [gate]);
  fs.writeFileSync(path.join(project, "definitions", "gated_by_test.sqlx"), `config { type: "operations" }\n${sql.replaceAll("GATE", gate)}\n`);
  const child = spawn(process.execPath, [CLI, "run", "--project", project, "--home", home], { stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const started = (async () => {
    for (let waited = 0; !fs.existsSync(path.join(home, "dev", "query.sock")); waited += 50) {
      if (waited > 60_000 || child.exitCode !== null) throw new Error("the run never started serving reads");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  // The FIFO's write end, once the run has opened it for reading (a blocking open would hang the test if the run
  // never got there): while it stays open the run waits in read(). After a minute the run is killed instead.
  const reached = async (): Promise<number | undefined> => {
    for (let waited = 0; waited < 60_000 && child.exitCode === null; waited += 50) {
      try {
        return fs.openSync(gate, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENXIO") throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    child.kill("SIGKILL");
    return undefined;
  };
  const openGate = async () => {
    const fd = await reached();
    if (fd === undefined) return;
    fs.writeSync(fd, "open");
    fs.closeSync(fd);
  };
  return { child, started, exited, reached, openGate };
}
