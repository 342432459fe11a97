import fs from "node:fs";
import path from "node:path";
import { UserError } from "../lib/errors.js";
import { isProcessAlive } from "../lib/fileLock.js";
import { DEFAULT_ENVIRONMENT } from "./environments.js";

/** What a home held before environments: these move into `<home>/dev/`. */
const SINGLE_LAYOUT = ["warehouse.duckdb", "warehouse.duckdb.wal", "run.lock", "query.sock", "run-progress.json", "audit_log.jsonl", "lake", "landing", "quarantine"];
/** Where the entries are gathered before the one rename that publishes `dev/`. */
const MIGRATING = ".dev-migrating";

/**
 * The state folder of one environment: `<home>/<env>/`, which `homePaths` then lays out as a home.
 * A home in the single-environment layout (pulse before environments) is first moved into `dev/`.
 */
export function environmentHome(home: string, env: string, log: (message: string) => void = () => undefined): string {
  migrateSingleLayout(home, log);
  return path.join(home, env);
}

/**
 * Moves a single-environment home into `dev/`: each entry is renamed into `.dev-migrating/`, then that
 * folder is renamed to `dev/`, so `dev/` appears whole or not at all; a migration cut short resumes on the
 * next command. Renames within one folder keep every file (the lake, DuckDB's WAL) as it was. A home a live
 * run still uses (its run.lock names a living process) is left alone with an error, not moved under it.
 */
function migrateSingleLayout(home: string, log: (message: string) => void): void {
  const staging = path.join(home, MIGRATING);
  const present = SINGLE_LAYOUT.filter((entry) => fs.existsSync(path.join(home, entry)) || isSymlink(path.join(home, entry)));
  if (present.length === 0 && !fs.existsSync(staging)) return;
  const target = path.join(home, DEFAULT_ENVIRONMENT);
  if (fs.existsSync(target)) {
    if (present.length === 0) return;
    throw new UserError(`${home}: holds both '${DEFAULT_ENVIRONMENT}/' and single-environment state (${present.join(", ")}); move those into an environment folder by hand`, 1);
  }
  const holder = readLockPid(path.join(home, "run.lock"));
  if (holder !== undefined && isProcessAlive(holder)) {
    throw new UserError(`${home}: pid ${holder} (an older pulse) holds this single-environment home; let it finish, then run again to move the home into ${target}`, 75);
  }
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  for (const entry of present) fs.renameSync(path.join(home, entry), path.join(staging, entry));
  fs.renameSync(staging, target);
  log(`pulse: moved the single-environment home ${home} into ${target} (the '${DEFAULT_ENVIRONMENT}' environment; see README "Environments")`);
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function readLockPid(file: string): number | undefined {
  try {
    const pid = (JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown }).pid;
    return typeof pid === "number" ? pid : undefined;
  } catch {
    return undefined;
  }
}
