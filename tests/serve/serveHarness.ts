import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

export const PROJECT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(PROJECT, "dist", "cli", "main.js");

/** The flags the issue fixes for Debian's chromium: no sandbox (root in CI), nothing fetched in the background. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The built CLI, as a user runs it; returns its exit code and output. */
export function pulse(args: string[], options: { home: string }): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", options.home, "--project", PROJECT], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `pulse query --format json`: the numbers the dashboard must show. */
export function pulseQuery(home: string, sql: string): Record<string, unknown>[] {
  const result = pulse(["query", "--format", "json", sql], { home });
  if (result.status !== 0) throw new Error(`pulse query failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

export interface Served {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `pulse serve` on a free port (--port 0) and waits for the line naming its address. */
export async function startServe(home: string, project = PROJECT): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--home", home, "--project", project], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pulse serve did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`pulse serve exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
