import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { z } from "zod";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { PACKAGE_ROOT } from "../../lib/home.js";
import { sleep } from "../../lib/sleep.js";
import { BIGQUERY_EMULATOR_PROJECT, startBigQueryEmulator } from "../../services/bigqueryEmulator.js";
import { livePid, stopService } from "../../services/process.js";

export interface PrivateEmulator {
  /** For BIGQUERY_EMULATOR_HOST: @google-cloud/bigquery takes the base URL, scheme included. */
  host: string;
  /** For BIGQUERY_STORAGE_EMULATOR_HOST: the Storage Read/Write API's gRPC `host:port`. */
  grpcHost: string;
  /**
   * Deletes every job the emulator keeps. v0.8.1 loads all of a project's jobs, each with its stored result rows,
   * on every request (internal/metadata/repository.go, findProjects), so requests slow down as jobs pile up: the
   * parity test's set 2 ran each statement 2–3 times slower than set 1's. Real BigQuery forgets nothing a job
   * needs, so forgetting them between steps is test set-up only.
   */
  forgetJobs(project: string): Promise<number>;
  /** SIGKILL, as a crash or a lost host would take it away: clients see connections refused. */
  kill(): Promise<void>;
  /** After `kill`: the emulator again on the same ports, with the tables and committed rows it had when started `persist`. */
  restart(): Promise<void>;
  /** SIGSTOP, as a hung server or a network partition takes it away: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  stop(): Promise<void>;
}

export interface PrivateEmulatorOptions {
  /** Keep the data in a database file of its own, so that `restart` finds it (default: in memory). */
  persist?: boolean;
}

const JobList = z.object({ jobs: z.array(z.object({ jobReference: z.object({ jobId: z.string() }) })).nullish() });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One REST call to the emulator, tried up to three times: a bench once saw `write EPIPE` on a kept-alive
 * connection the emulator had closed under load (average 13), which a second attempt on a new connection avoids.
 */
async function emulatorRequest(url: string, method: "GET" | "DELETE"): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { method });
      if (!response.ok) throw new Error(`emulator ${method} ${url}: ${response.status} ${await response.text()}`);
      return response;
    } catch (error) {
      if (attempt === 3 || !(error instanceof TypeError)) throw error;
      await sleep(500);
    }
  }
}

/**
 * An emulator of the test's own, in memory unless `persist`, on free ports: the emulator serves one request at a
 * time and keeps one project, so a test that compares whole tables must not share it with anything else. The
 * binary is the one `services:up` (the suite's globalSetup) built.
 */
export async function startPrivateEmulator(options: PrivateEmulatorOptions = {}): Promise<PrivateEmulator> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-emulator-"));
  const pidFile = path.join(dir, "emulator.pid");
  const port = await freePort();
  const grpcPort = await freePort();
  const start = () => startBigQueryEmulator({ port, grpcPort, dir, pidFile, persist: options.persist ?? false, log: () => undefined });
  await start();
  const host = `http://127.0.0.1:${port}`;
  return {
    host,
    grpcHost: `127.0.0.1:${grpcPort}`,
    async forgetJobs(project) {
      const jobs = `${host}/bigquery/v2/projects/${project}/jobs`;
      const listed = await emulatorRequest(`${jobs}?allUsers=true`, "GET");
      const ids = (JobList.parse(await listed.json()).jobs ?? []).map((j) => j.jobReference.jobId);
      for (const id of ids) await emulatorRequest(`${jobs}/${encodeURIComponent(id)}/delete`, "DELETE");
      return ids.length;
    },
    async kill() {
      await stopService(pidFile, 0, "SIGKILL");
    },
    async restart() {
      await start();
    },
    freeze() {
      process.kill(livePid(pidFile)!.pid, "SIGSTOP");
    },
    thaw() {
      const record = livePid(pidFile);
      if (record) process.kill(record.pid, "SIGCONT");
    },
    async stop() {
      await stopService(pidFile, 5_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface InitialisedEmulator {
  emulator: PrivateEmulator;
  /** The process environment with BIGQUERY_EMULATOR_HOST and BIGQUERY_STORAGE_EMULATOR_HOST pointing at it. */
  env: NodeJS.ProcessEnv;
  /** A client for its project, BIGQUERY_EMULATOR_PROJECT. */
  bigquery: BigQuery;
}

/**
 * A private emulator with the datasets and bronze tables `pulse bigquery init` (the built CLI) creates, for the
 * sink tests and benches that write bronze there. `bigquery init` keeps no local state, so it runs without a home.
 */
export async function startInitialisedEmulator(options: PrivateEmulatorOptions = {}): Promise<InitialisedEmulator> {
  const emulator = await startPrivateEmulator(options);
  const env = { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host, BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcHost };
  avoidMetadataServerProbe();
  const cli = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");
  const init = spawnSync(process.execPath, [cli, "bigquery", "init", "--gcp-project", BIGQUERY_EMULATOR_PROJECT], { cwd: PACKAGE_ROOT, env, encoding: "utf8" });
  if (init.status !== 0) {
    await emulator.stop();
    throw new Error(`bigquery init failed (${init.status}): ${init.stdout}${init.stderr}`);
  }
  return { emulator, env, bigquery: new BigQuery({ projectId: BIGQUERY_EMULATOR_PROJECT, apiEndpoint: emulator.host }) };
}
