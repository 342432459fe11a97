import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { spawnService, type PidRecord } from "./process.js";

export const POSTGRES_MAJOR = 15;
/** The superuser `initdb` creates; loopback-only and trusted, like the emulators (a dev service, not a server). */
export const POSTGRES_USER = "pulse";

type Log = (line: string) => void;

/** Debian's PostgreSQL 15 binaries (package postgresql-15; `.ci/run` installs it). */
export function postgresBinDir(): string {
  const dir = process.env.PULSE_PG_BINDIR ?? `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
  if (!fs.existsSync(path.join(dir, "postgres"))) {
    throw new Error(`PostgreSQL ${POSTGRES_MAJOR} is not installed (no ${dir}/postgres): apt-get install -y postgresql-${POSTGRES_MAJOR}, or set PULSE_PG_BINDIR`);
  }
  return dir;
}

/**
 * initdb and postgres refuse to run as root. As root the cluster runs as Debian's `postgres` user, and its data
 * lives where that user can reach it (root's cache under /root is 0700): /var/lib/postgresql/pulse-<port>.
 */
function runAs(): { user: string; dataParent: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { user: "postgres", dataParent: "/var/lib/postgresql/pulse" };
}

/** Command and arguments that run `binary` as the cluster's user (setpriv execs, so the pid is postgres itself). */
function asClusterUser(binary: string, args: string[]): [string, string[]] {
  const as = runAs();
  return as ? ["setpriv", ["--reuid", as.user, "--regid", as.user, "--init-groups", "--", binary, ...args]] : [binary, args];
}

export interface PostgresOptions {
  port: number;
  /** The service's folder in the services state dir: log and, when not root, the data. */
  dir: string;
  pidFile: string;
  log: Log;
}

/** `postgres://pulse@127.0.0.1:<port>/<database>`. */
export function postgresUrl(port: number, database: string): string {
  return `postgres://${POSTGRES_USER}@127.0.0.1:${port}/${database}`;
}

/** The cluster's data directory for a port and service folder (see `runAs`). */
export function postgresDataDir(port: number, dir: string): string {
  const as = runAs();
  return as ? path.join(as.dataParent, `${POSTGRES_MAJOR}-${port}`) : path.join(dir, "data");
}

/** Creates the cluster on first use (initdb), then starts postgres on 127.0.0.1:<port> and waits until it answers. */
export async function startPostgres(opts: PostgresOptions): Promise<PidRecord> {
  const bin = postgresBinDir();
  const as = runAs();
  const dataDir = postgresDataDir(opts.port, opts.dir);
  fs.mkdirSync(opts.dir, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (as) execFileSync("chown", ["-R", `${as.user}:`, as.dataParent]);
    opts.log(`postgres: initdb ${dataDir}`);
    const [command, args] = asClusterUser(path.join(bin, "initdb"), ["-D", dataDir, "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"]);
    execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
  }
  const logFile = path.join(opts.dir, "postgres.log");
  opts.log(`postgres: starting ${POSTGRES_MAJOR} on 127.0.0.1:${opts.port} (data ${dataDir}, log ${logFile})`);
  const [command, args] = asClusterUser(path.join(bin, "postgres"), [
    "-D",
    dataDir,
    "-p",
    String(opts.port),
    "-c",
    "listen_addresses=127.0.0.1",
    // No Unix socket: the system cluster owns /var/run/postgresql, and clients here connect over TCP.
    "-c",
    "unix_socket_directories=",
    // Bulk loads of millions of rows (tests, bench) checkpoint less often.
    "-c",
    "max_wal_size=4GB",
  ]);
  return spawnService({
    name: "postgres",
    command,
    args,
    cwd: "/",
    logFile,
    pidFile: opts.pidFile,
    marker: dataDir,
    port: opts.port,
    readyTimeoutMs: 60_000,
    ready: () => postgresAnswers(postgresUrl(opts.port, "postgres")),
  });
}

/** The port opens before recovery ends; a query proves the server accepts sessions. */
async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
