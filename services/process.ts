import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "../lib/fileLock.js";

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The command line of a live pid (Linux), so a recycled pid is never mistaken for our service. */
function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined;
  }
}

export interface PidRecord {
  pid: number;
  /** A string that must appear in the process's command line for the pid to still be ours. */
  marker: string;
  port: number;
  startedAt: string;
}

export function readPidFile(pidFile: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(pidFile, "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The pid file's process when it is still alive and still the process we started. */
export function livePid(pidFile: string): PidRecord | undefined {
  const record = readPidFile(pidFile);
  if (!record || !isProcessAlive(record.pid)) return undefined;
  const cmd = commandLine(record.pid);
  return cmd === undefined || cmd.includes(record.marker) ? record : undefined;
}

export interface SpawnServiceOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  pidFile: string;
  marker: string;
  port: number;
  readyTimeoutMs: number;
  /** Extra readiness check after the port opens (e.g. an API call that must succeed). */
  ready?: () => Promise<boolean>;
}

/**
 * Starts a long-lived service in its own process group (so `stopService` can end it and any children it
 * forks, and a Ctrl-C in the terminal that ran `services:up` does not reach it), writes the pid file, and
 * waits until it listens. On failure the process is stopped and the tail of its log is in the error.
 */
export async function spawnService(opts: SpawnServiceOptions): Promise<PidRecord> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.mkdirSync(path.dirname(opts.pidFile), { recursive: true });
  const out = fs.openSync(opts.logFile, "a");
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new Error(`${opts.name}: could not start ${opts.command}: ${error.message}`);
  }
  child.unref();
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  const record: PidRecord = { pid: child.pid, marker: opts.marker, port: opts.port, startedAt: new Date().toISOString() };
  fs.writeFileSync(opts.pidFile, JSON.stringify(record) + "\n");

  const deadline = Date.now() + opts.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if ((await isPortOpen(opts.port)) && (!opts.ready || (await opts.ready()))) return record;
    await sleep(250);
  }
  await stopService(opts.pidFile, 10_000);
  const why = exited !== undefined ? `exited with code ${exited}` : `did not listen on 127.0.0.1:${opts.port} within ${opts.readyTimeoutMs / 1000} s`;
  throw new Error(`${opts.name} ${why}; last lines of ${opts.logFile}:\n${tail(opts.logFile, 25)}`);
}

/**
 * Stops the process group recorded in the pid file: `signal` (SIGTERM: brokers shut down cleanly; PostgreSQL
 * needs SIGINT, as SIGTERM waits for every client to disconnect), then SIGKILL after `graceMs`. Returns false
 * when there was nothing of ours to stop.
 */
export async function stopService(pidFile: string, graceMs = 30_000, signal: NodeJS.Signals = "SIGTERM"): Promise<boolean> {
  const record = livePid(pidFile);
  fs.rmSync(pidFile, { force: true });
  if (!record) return false;
  signalGroup(record.pid, signal);
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(record.pid) && Date.now() < deadline) await sleep(200);
  if (isProcessAlive(record.pid)) {
    signalGroup(record.pid, "SIGKILL");
    while (isProcessAlive(record.pid)) await sleep(100);
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * A cross-process mutex (exclusive-create lock file holding the owner's pid), so two `services:up` or two
 * test runs starting at once do not both launch a broker. A lock left by a dead process is taken over.
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let content: string;
      try {
        content = fs.readFileSync(lockFile, "utf8").trim();
      } catch {
        continue;
      }
      const owner = Number(content);
      // An empty file is a lock being written right now, not a stale one.
      if (content !== "" && (!Number.isInteger(owner) || owner <= 0 || !isProcessAlive(owner))) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${owner})`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
