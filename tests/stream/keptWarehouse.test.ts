import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDBInstance } from "../../lib/duckdb.js";
import { acquireFileLock, lockWanted, wantLock } from "../../lib/fileLock.js";
import { homePaths } from "../../lib/home.js";
import { readCommitClock } from "../../lake/commitClock.js";
import { WarehouseReader } from "../../serve/warehouseReader.js";
import { pulse, REPO } from "../runner/helpers.js";
import { tempHome } from "../pipeline/pipelineHarness.js";

const CLI = path.join(REPO, "dist", "cli", "main.js");
const VARS = ["--vars", "as_of_date=2024-01-01"];
/** The CLI's environment without the caller's PULSE_HOME and PULSE_ENV: every command names its --home. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "PULSE_HOME" && name !== "PULSE_ENV"));

/** A synthetic fleet's files landed and loaded into `home`'s lake (the dev environment). */
async function landFleet(home: string, seed: number): Promise<void> {
  const produced = await pulse(["produce", "--to", "landing", "--synthetic", "--users", "3", "--days", "1", "--seed", String(seed), "--home", home]);
  expect(produced.code, produced.stderr).toBe(0);
  const ingested = await pulse(["ingest", "--source", "landing", "--once", "--home", home]);
  expect(ingested.code, ingested.stderr).toBe(0);
}

/** A `pulse run --watch` whose status lines are collected as they come. */
class Watcher {
  readonly lines: string[] = [];
  stderr = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(home: string, intervalSeconds: number) {
    this.child = spawn(process.execPath, [CLI, "run", "--watch", "--interval", `${intervalSeconds}s`, "--tags", "silver", ...VARS, "--home", home], {
      cwd: REPO,
      env: ENV,
    });
    let pending = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split("\n");
      pending = complete.pop()!;
      this.lines.push(...complete);
    });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on("close", resolve));
  }

  /** Resolves with the first status line (from `after` on) that `match` accepts. */
  async line(match: (line: string) => boolean, after = 0, timeoutMs = 60_000): Promise<{ line: string; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((l, i) => i >= after && match(l));
      if (index >= 0) return { line: this.lines[index]!, index };
      if (Date.now() > deadline) throw new Error(`no such watch line after ${timeoutMs} ms:\n${this.lines.join("\n")}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<number | null> {
    this.child.kill("SIGINT");
    return this.exited;
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

const watchers: Watcher[] = [];
afterEach(() => {
  for (const watcher of watchers.splice(0)) watcher.kill();
});

const runNumber = (n: number) => (line: string) => line.includes(` run #${n} | ok`);

describe("run --watch keeps the warehouse open between runs", { timeout: 180_000 }, () => {
  it("holds it between runs, shows each run what the lake committed since, and answers queries from the latest run", async () => {
    const home = tempHome("pulse-kept-");
    await landFleet(home, 11);
    const watcher = new Watcher(home, 2);
    watchers.push(watcher);
    await watcher.line(runNumber(2));
    // Between two runs the file is still open in the watcher: DuckDB lets no other process open it.
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await expect(connection.run(`attach '${homePaths(path.join(home, "dev")).warehouse}' as w (read_only)`)).rejects.toThrow(/lock/i);
    connection.closeSync();
    instance.closeSync();

    // A runtime error aborts the read server's transaction; it pins a new one, and the next query is answered.
    const failing = await pulse(["query", "select cast('not a number' as integer) as n", "--home", home]);
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toMatch(/Conversion Error/);
    const before = await pulse(["query", "select count(*) as n from silver.heart_rate", "--format", "json", "--home", home]);
    expect(before.code, before.stderr).toBe(0);
    await landFleet(home, 12);
    // Waits for a run that read the lake at or after the second fleet's commit, as the watcher's read server
    // reports it. Counting status lines is not enough: on a loaded machine a run may end with no idle time, and its
    // line can reach this process after the landing's exit, so the next run may have started before the commit.
    const landed = await readCommitClock(homePaths(path.join(home, "dev")));
    const sawLanding = async () => {
      const runs = await pulse(["query", `select count(*) as n from pulse_meta.runs where lake_snapshot >= ${landed}`, "--format", "json", "--home", home]);
      expect(runs.code, runs.stderr).toBe(0);
      return (JSON.parse(runs.stdout) as { n: number }[])[0]!.n > 0;
    };
    let nextLine = watcher.lines.length;
    while (!(await sawLanding())) nextLine = (await watcher.line(() => true, nextLine)).index + 1;
    const after = await pulse(["query", "select count(*) as n from silver.heart_rate", "--format", "json", "--home", home]);
    expect(after.code, after.stderr).toBe(0);
    const count = (text: string) => Number((JSON.parse(text) as { n: number }[])[0]!.n);
    expect(count(after.stdout)).toBeGreaterThan(count(before.stdout));
    const readings = "select count(distinct (value->>'$.device_id', value->>'$.time')) as n from bronze.kafka_multiplex where topic = 'bpm'";
    const bronze = await pulse(["query", readings, "--format", "json", "--home", home]);
    expect(bronze.code, bronze.stderr).toBe(0);
    expect(count(after.stdout)).toBe(count(bronze.stdout));

    expect(await watcher.stop(), `${watcher.lines.join("\n")}\n${watcher.stderr}`).toBe(0);
    expect(watcher.lines.at(-1)).toMatch(/^stopped after \d+ run\(s\), 0 failed$/);
    // Closed on the way out: lock, socket and write-ahead log are gone.
    const paths = homePaths(path.join(home, "dev"));
    expect([paths.runLock, paths.querySocket, `${paths.warehouse}.wal`].filter((f) => fs.existsSync(f))).toEqual([]);
  });

  it("hands the warehouse to a run that waits for it, then goes on with its own runs", async () => {
    const home = tempHome("pulse-kept-");
    await landFleet(home, 13);
    const watcher = new Watcher(home, 2);
    watchers.push(watcher);
    const { index } = await watcher.line(runNumber(1));
    const started = Date.now();
    const other = await pulse(["run", "--tags", "silver", ...VARS, "--home", home, "--lock-timeout", "60"]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toMatch(/Run succeeded/);
    // It asked only if it found the warehouse held; either way it did not wait for the lock timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
    // A query as a role builds its masked views in the file itself, so it waits for the warehouse, which it gets the same way.
    await watcher.line(() => true, watcher.lines.length);
    const role = await pulse(["query", "select count(*) as n from silver.users", "--role", "analyst", "--format", "json", "--home", home, "--lock-timeout", "60"]);
    expect(role.code, role.stderr).toBe(0);
    expect(Number((JSON.parse(role.stdout) as { n: number }[])[0]!.n)).toBeGreaterThan(0);
    await watcher.line(() => true, Math.max(index + 1, watcher.lines.length));
    expect(await watcher.stop(), `${watcher.lines.join("\n")}\n${watcher.stderr}`).toBe(0);
    expect(watcher.lines.filter((l) => / run #\d+ \| FAILED/.test(l))).toEqual([]);
  });
});

describe("asking for a held lock", () => {
  it("is seen by the holder while a waiter that asks waits, and withdrawn when it stops waiting; other waiters do not ask", async () => {
    const folder = tempHome("pulse-want-");
    const file = path.join(folder, "run.lock");
    const held = await acquireFileLock(file, { command: "test", what: "the test lock", timeoutSeconds: 0 });
    const wait = (ask: boolean) =>
      pulseScript(`await acquireFileLock(${JSON.stringify(file)}, { command: "waiter", what: "the test lock", timeoutSeconds: 3, ask: ${ask} }).catch(() => process.exit(75));`);
    // A waiter for a lock that is never kept between units of work (the lake's commit lock) does not ask.
    const silent = wait(false);
    const seen: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push(lockWanted(file));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.some(Boolean)).toBe(false);
    expect(await silent).toBe(75);
    const asking = wait(true);
    const deadline = Date.now() + 10_000;
    while (!lockWanted(file) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lockWanted(file)).toBe(true);
    expect(await asking).toBe(75);
    expect(lockWanted(file)).toBe(false);
    expect(fs.readdirSync(folder).filter((name) => name.includes(".want-"))).toEqual([]);
    held.release();
  });

  it("ignores and removes requests of dead processes and lapsed ones, and never counts the holder's own", () => {
    const folder = tempHome("pulse-want-");
    const file = path.join(folder, "run.lock");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    fs.writeFileSync(`${file}.want-${dead}`, "");
    expect(lockWanted(file)).toBe(false);
    expect(fs.existsSync(`${file}.want-${dead}`)).toBe(false);
    // A live process (pid 1) whose request was not renewed for a minute has stopped asking.
    fs.writeFileSync(`${file}.want-1`, "");
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.want-1`, minuteAgo, minuteAgo);
    expect(lockWanted(file)).toBe(false);
    expect(fs.existsSync(`${file}.want-1`)).toBe(false);
    fs.writeFileSync(`${file}.want-1`, "");
    expect(lockWanted(file)).toBe(true);
    fs.rmSync(`${file}.want-1`);
    const own = wantLock(file);
    expect(lockWanted(file)).toBe(false);
    own.done();
    expect(fs.existsSync(`${file}.want-${process.pid}`)).toBe(false);
  });

  it("is made by pulse serve when it serves a page from before the holder's latest run", async () => {
    const home = tempHome("pulse-want-");
    await landFleet(home, 14);
    expect((await pulse(["run", "--tags", "silver", ...VARS, "--home", home])).code).toBe(0);
    const dev = path.join(home, "dev");
    const reader = new WarehouseReader(dev, "pulse");
    const count = (query: (q: { sql: string }) => Promise<Record<string, unknown>[]>) => query({ sql: "select count(*) as n from silver.heart_rate" });
    expect((await reader.session("count", count)).stale).toBe(false);
    // Another run changes the file, and then a holder keeps the lock: the cached page is outdated.
    await landFleet(home, 15);
    expect((await pulse(["run", "--tags", "silver", ...VARS, "--home", home])).code).toBe(0);
    const runLock = homePaths(dev).runLock;
    const held = await acquireFileLock(runLock, { command: "test", what: "the warehouse", timeoutSeconds: 0 });
    const outdated = await reader.session("count", count);
    expect(outdated.stale).toBe(true);
    expect(fs.existsSync(`${runLock}.want-${process.pid}`)).toBe(true);
    held.release();
    const current = await reader.session("count", count);
    expect(current.stale).toBe(false);
    expect(Number(current.value[0]!.n)).toBeGreaterThan(Number(outdated.value[0]!.n));
    expect(fs.existsSync(`${runLock}.want-${process.pid}`)).toBe(false);
  });
});

/** Runs `body` in a node process with acquireFileLock imported from the build; resolves with its exit code. */
function pulseScript(body: string): Promise<number | null> {
  const script = `import { acquireFileLock } from ${JSON.stringify(path.join(REPO, "dist", "lib", "fileLock.js"))};\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" });
    child.on("error", reject);
    child.on("close", resolve);
  });
}
