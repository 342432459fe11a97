import { mkdir } from "node:fs/promises";
import path from "node:path";
import { isMainThread } from "node:worker_threads";
import { fileURLToPath } from "node:url";

/** The repository root: where package.json and the bundled Dataform project live. */
export const PACKAGE_ROOT = packageRoot();

function packageRoot(): string {
  // This file runs from lib/ under vitest and from dist/lib/ once built.
  const parent = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  return path.basename(parent) === "dist" ? path.dirname(parent) : parent;
}

/**
 * PULSE_HOME holds every piece of local state. Precedence: `--home`, then env `PULSE_HOME` (the CLI
 * passes whichever was given), then `.pulse/` in the project root, so deleting that one folder resets everything.
 */
export function resolveHome(chosen: string | undefined, projectDir: string): string {
  usePrivateFiles();
  return path.resolve(chosen ?? path.join(projectDir, ".pulse"));
}

/**
 * PULSE_HOME holds personal data (names, addresses, dates of birth) and command lines: what pulse creates there is
 * for its owner only. A process that works on a home sets umask 077, so every file and folder it creates, those
 * DuckDB creates included (the warehouse, its WAL, lake files), is 0600 / 0700, whatever the caller's umask.
 * Worker threads cannot set it, and need not: the umask is the process's.
 */
export function usePrivateFiles(): void {
  if (isMainThread) process.umask(0o077);
}

/** Creates `folder` (and missing parents) private to its owner; an existing folder is left as it is. */
export async function makePrivateDir(folder: string): Promise<void> {
  usePrivateFiles();
  await mkdir(folder, { recursive: true, mode: 0o700 });
}

/** Fixed locations inside PULSE_HOME; every module asks here instead of joining paths itself. */
export function homePaths(home: string) {
  return {
    home,
    warehouse: path.join(home, "warehouse.duckdb"),
    runLock: path.join(home, "run.lock"),
    /** Where the process holding the run lock answers `pulse query` (runner/readServer.ts). */
    querySocket: path.join(home, "query.sock"),
    /** The actions of the run in progress (or the last one), for watchers such as `pulse serve`. */
    runProgress: path.join(home, "run-progress.json"),
    lake: path.join(home, "lake"),
    bronze: path.join(home, "lake", "bronze"),
    lakeTmp: path.join(home, "lake", "_tmp"),
    ingestState: path.join(home, "lake", "_state"),
    /** Kafka / Pub/Sub ingest processes' last known positions, for `pulse ingest status`. */
    streamState: path.join(home, "lake", "_state", "streams"),
    landing: path.join(home, "landing"),
    /** Where producers write landing files before renaming them into a feed folder (same file system, never globbed). */
    landingTmp: path.join(home, "landing", ".tmp"),
    quarantine: path.join(home, "quarantine"),
    /** Every `pulse query` and run, allowed or refused (access/auditLog.ts), read as `pulse_meta.audit_log`. */
    auditLog: path.join(home, "audit_log.jsonl"),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;
