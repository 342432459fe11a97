import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { runMainJob } from "../jobs/mainJob.js";
import { CHROMIUM_ARGS } from "../tests/serve/serveHarness.js";
import { median } from "./median.js";
import { PULSE_CLI, REPO } from "./runnerProjects.js";

/**
 * `pulse serve` page loads on the demo data set (npm start's 25 users, 2 days): each page loaded in headless
 * Chromium until the load event, scripts and charts included. "fresh" is the first load after a run changed the
 * warehouse (the server reads it again), "cached" a reload with the warehouse unchanged. Prints medians.
 * Usage: npx tsx bench/serve.ts [runs]   (build first: npm run build)
 */
const runs = Math.max(3, Number(process.argv[2] ?? 5));
const home = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-serve-"));
const pages = ["/", "/pipeline", "/tables/gold.workout_bpm_summary"];

try {
  await runMainJob({ projectDir: REPO, home, users: 25, days: 2, seed: 42, log: () => undefined });
  const server = spawn(process.execPath, [PULSE_CLI, "serve", "--port", "0", "--home", home, "--project", REPO], { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise<string>((resolve) => {
    let out = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (match) resolve(match[0]);
    });
  });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const times: Record<string, { fresh: number[]; cached: number[] }> = Object.fromEntries(pages.map((p) => [p, { fresh: [], cached: [] }]));
  const load = async (p: string) => {
    const started = performance.now();
    await page.goto(`${base}${p}`, { waitUntil: "load" });
    return performance.now() - started;
  };
  for (let i = 0; i < runs; i++) {
    // Touching the warehouse's file makes the server read it again, as after a run.
    const now = new Date();
    fs.utimesSync(path.join(home, "dev", "warehouse.duckdb"), now, now);
    for (const p of pages) times[p]!.fresh.push(await load(p));
    for (const p of pages) times[p]!.cached.push(await load(p));
  }
  await browser.close();
  server.kill("SIGTERM");
  console.log(`page load in headless Chromium, demo data, median of ${runs} (shared machine: medians are noisy)`);
  for (const p of pages) console.log(`  ${p.padEnd(36)} fresh ${median(times[p]!.fresh).toFixed(0).padStart(5)} ms   cached ${median(times[p]!.cached).toFixed(0).padStart(5)} ms`);
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
