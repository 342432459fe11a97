import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { startBigQueryEmulator } from "../../services/bigqueryEmulator.js";
import { stopService } from "../../services/process.js";

export interface PrivateEmulator {
  /** For BIGQUERY_EMULATOR_HOST: @google-cloud/bigquery takes the base URL, scheme included. */
  host: string;
  /** For BIGQUERY_STORAGE_EMULATOR_HOST: the Storage Read/Write API's gRPC `host:port`. */
  grpcHost: string;
  stop(): Promise<void>;
}

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
 * An emulator of the test's own, in memory, on free ports: the emulator serves one request at a time and
 * keeps one project, so a test that compares whole tables must not share it with anything else. The binary
 * is the one `services:up` (the suite's globalSetup) built.
 */
export async function startPrivateEmulator(): Promise<PrivateEmulator> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-emulator-"));
  const pidFile = path.join(dir, "emulator.pid");
  const port = await freePort();
  const grpcPort = await freePort();
  await startBigQueryEmulator({ port, grpcPort, dir, pidFile, persist: false, log: () => undefined });
  return {
    host: `http://127.0.0.1:${port}`,
    grpcHost: `127.0.0.1:${grpcPort}`,
    async stop() {
      await stopService(pidFile, 5_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
