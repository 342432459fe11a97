import { spawn } from "node:child_process";
import path from "node:path";
import { REPO } from "../runner/helpers.js";

const CLI = path.join(REPO, "dist", "cli", "main.js");

/** The built CLI with a clean PULSE_HOME, PULSE_ENV and PULSE_DEPLOY (`deploy` sets the last, as the CI stage does). */
export function pulseEnv(args: string[], options: { deploy?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PULSE_HOME: "", PULSE_ENV: "", PULSE_DEPLOY: options.deploy ?? "", ...options.env };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
