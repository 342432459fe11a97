import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { spawnService, type PidRecord } from "./process.js";

/**
 * The emulator ships with the Google Cloud SDK. Its launcher script execs java directly, so the pid we
 * record is the JVM itself (`gcloud beta emulators pubsub start` would put a Python wrapper in between).
 */
export function emulatorLauncher(): string {
  const candidates: string[] = [];
  if (process.env.CLOUDSDK_ROOT_DIR) candidates.push(process.env.CLOUDSDK_ROOT_DIR);
  try {
    candidates.push(execFileSync("gcloud", ["info", "--format=value(installation.sdk_root)"], { encoding: "utf8" }).trim());
  } catch {
    // gcloud missing from PATH: the well-known install locations below may still hold the SDK
  }
  candidates.push("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk");
  for (const root of candidates) {
    const launcher = path.join(root, "platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator");
    if (root && fs.existsSync(launcher)) return launcher;
  }
  throw new Error(
    "the Pub/Sub emulator is not installed (looked under the Google Cloud SDK for platform/pubsub-emulator); " +
      "install it with `gcloud components install pubsub-emulator` or the google-cloud-cli-pubsub-emulator package",
  );
}

export interface EmulatorOptions {
  port: number;
  dir: string;
  pidFile: string;
  log: (line: string) => void;
}

export async function startPubsubEmulator(opts: EmulatorOptions): Promise<PidRecord> {
  const launcher = emulatorLauncher();
  fs.mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, "emulator.log");
  opts.log(`pubsub: starting emulator on 127.0.0.1:${opts.port} (log ${logFile})`);
  return spawnService({
    name: "pubsub emulator",
    command: launcher,
    args: ["--host=127.0.0.1", `--port=${opts.port}`],
    // The emulator keeps every published message in its heap; a few million test and bench messages need room.
    env: { ...process.env, JAVA_OPTS: process.env.PULSE_PUBSUB_JAVA_OPTS ?? "-Xmx4g" },
    logFile,
    pidFile: opts.pidFile,
    marker: "cloud-pubsub-emulator",
    port: opts.port,
    readyTimeoutMs: 60_000,
    ready: () => emulatorAnswers(opts.port),
  });
}

/** The port opens before the gRPC/REST server is ready; a REST list call answers only once it is. */
async function emulatorAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/projects/pulse-probe/topics`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
