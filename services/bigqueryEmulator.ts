import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { cacheRoot } from "./paths.js";
import { spawnService, withLock, type PidRecord } from "./process.js";

export const BIGQUERY_EMULATOR_VERSION = "0.8.1";
const MODULE = "github.com/goccy/bigquery-emulator";
/** The project the emulator serves; the only one it knows (it answers 404 for any other). */
export const BIGQUERY_EMULATOR_PROJECT = "pulse-local";

type Log = (line: string) => void;

/** `go mod download -json` output: where the module's sources were unpacked. */
const ModuleDownload = z.object({ Dir: z.string().min(1) });

/** The cached emulator binary (it need not exist yet). */
export function bigqueryEmulatorBinary(version = BIGQUERY_EMULATOR_VERSION): string {
  return path.join(cacheRoot(), `bigquery-emulator-${version}`, "bigquery-emulator");
}

/**
 * Builds goccy/bigquery-emulator from the Go module proxy into `~/.cache/pulse/bigquery-emulator-<version>/`
 * once; later calls return at once and work offline. The binary appears by rename only after the build
 * succeeded, so an interrupted build is retried, and a lock keeps two processes from building at once.
 *
 * Not `go install …@v0.8.1`: that also asks the proxy for the module's version list (to look for a
 * deprecation notice), and a proxy that serves modules but refuses lists (as this CI's does, 403) fails the
 * whole install. Downloading the pinned version and building it inside its own module is the same build,
 * with every dependency pinned by the emulator's go.sum. The SQL engine is pure Go (no cgo).
 */
export async function ensureBigQueryEmulator(log: Log, version = BIGQUERY_EMULATOR_VERSION): Promise<string> {
  const binary = bigqueryEmulatorBinary(version);
  if (fs.existsSync(binary)) return binary;
  const dir = path.dirname(binary);
  fs.mkdirSync(dir, { recursive: true });
  // The first build compiles ~1 GB of generated Go (measured 00:00 min on 2 cores); waiters need that long.
  return withLock(
    path.join(dir, "build.lock"),
    async () => {
      if (fs.existsSync(binary)) return binary;
      await requireGo();
      const started = Date.now();
      log(`bigquery emulator ${version}: first run, building ${MODULE} with Go into ${dir} (slow: many minutes)`);
      const download = ModuleDownload.parse(JSON.parse(await go(["mod", "download", "-json", `${MODULE}@v${version}`], process.cwd())));
      const staging = `${binary}.tmp-${process.pid}`;
      await goBuild(download.Dir, staging, version, log);
      fs.renameSync(staging, binary);
      log(`bigquery emulator ${version}: built in ${Math.round((Date.now() - started) / 1000)} s`);
      return binary;
    },
    60 * 60_000,
  );
}

async function requireGo(): Promise<void> {
  try {
    await go(["version"], process.cwd());
  } catch {
    throw new Error(
      "the BigQuery emulator is built from source with Go, and `go` is not on PATH: install Go 1.25 or newer " +
        "(https://go.dev/dl/, or the golang-go package of your distribution), then run `npm run services:up` again",
    );
  }
}

async function go(args: string[], cwd: string): Promise<string> {
  const { stdout } = await promisify(execFile)("go", args, { cwd, env: { ...process.env, GOFLAGS: "-mod=readonly" }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** `go build` of the emulator's command, relaying Go's "downloading" lines so a long first build shows progress. */
function goBuild(moduleDir: string, output: string, version: string, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("go", ["build", "-trimpath", "-ldflags", `-s -w -X main.version=${version}`, "-o", output, "./cmd/bigquery-emulator"], {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const lines: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        if (line.startsWith("go: downloading")) log(`  ${line}`);
      }
    });
    child.once("error", (error) => reject(new Error(`could not run go: ${error.message}`)));
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else {
        fs.rmSync(output, { force: true });
        reject(new Error(`go build of the BigQuery emulator failed (exit ${code}):\n${lines.join("\n")}`));
      }
    });
  });
}

export interface BigQueryEmulatorOptions {
  /** REST (the BigQuery API v2) on 127.0.0.1. */
  port: number;
  /** gRPC (Storage Read/Write API) on 127.0.0.1. */
  grpcPort: number;
  project?: string;
  /** Holds the log (and the database file when `persist`). */
  dir: string;
  pidFile: string;
  /** Keep the data in `dir/emulator.db` across restarts (services:up) rather than in memory (tests). */
  persist: boolean;
  log: Log;
}

export async function startBigQueryEmulator(opts: BigQueryEmulatorOptions): Promise<PidRecord> {
  const binary = await ensureBigQueryEmulator(opts.log);
  fs.mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, "emulator.log");
  const project = opts.project ?? BIGQUERY_EMULATOR_PROJECT;
  opts.log(`bigquery: starting emulator on 127.0.0.1:${opts.port} (gRPC ${opts.grpcPort}, project ${project}, log ${logFile})`);
  return spawnService({
    name: "bigquery emulator",
    command: binary,
    args: [
      `--project=${project}`,
      "--host=127.0.0.1",
      `--port=${opts.port}`,
      `--grpc-port=${opts.grpcPort}`,
      "--log-level=warn",
      ...(opts.persist ? [`--database=${path.join(opts.dir, "emulator.db")}`] : []),
    ],
    logFile,
    pidFile: opts.pidFile,
    marker: binary,
    port: opts.port,
    readyTimeoutMs: 60_000,
    ready: () => emulatorAnswers(opts.port, project),
  });
}

/** The REST port opens before the project is loaded; listing its datasets succeeds only once it is. */
async function emulatorAnswers(port: number, project: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/bigquery/v2/projects/${project}/datasets`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
