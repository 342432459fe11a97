import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./median.js";
import { PULSE_CLI, timeProcess } from "./runnerProjects.js";
import { askRunningRun } from "../runner/readServer.js";

/**
 * `pulse query` of a gold table while a `pulse run` holds the warehouse (a full refresh busy for seconds on
 * both cores), against the same query with no run. Before readers were answered by the run, such a query
 * waited for the whole run. Figures are whole processes (node start included; `pulse query --help` is that
 * start alone) and, during the run, the answer on the run's socket alone; medians of `runs` samples.
 * Usage: npx tsx bench/queryDuringRun.ts [runs] [slow-rows]
 */
const runs = Math.max(3, Number(process.argv[2] ?? 5));
const slowRows = Number(process.argv[3] ?? 80_000_000);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-query-"));
const project = path.join(scratch, "project");
const home = path.join(scratch, "home");
const SQL = "select * from gold.summary";

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function runInBackground(): { exited: Promise<number | null>; started: number } {
  const child = spawn(process.execPath, [PULSE_CLI, "run", "--project", project, "--home", home], { stdio: "ignore" });
  return { exited: new Promise((resolve) => child.on("close", resolve)), started: performance.now() };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

try {
  write(path.join(project, "workflow_settings.yaml"), "defaultProject: bench\ndefaultDataset: main\ndefaultLocation: US\n");
  write(path.join(project, "definitions", "summary.sqlx"), 'config { type: "table", schema: "gold" }\nselect 42 as answer\n');
  write(path.join(project, "definitions", "slow.sqlx"), `config { type: "table", schema: "silver" }\nselect sum(hash(i)) as s from range(${slowRows}) t(i)\n`);
  const first = runInBackground();
  if ((await first.exited) !== 0) throw new Error("the first run failed");
  const query = () => timeProcess(process.execPath, [PULSE_CLI, "query", "--project", project, "--home", home, "--lock-timeout", "0", SQL]);
  const idle = Array.from({ length: runs }, query);
  const start = Array.from({ length: runs }, () => timeProcess(process.execPath, [PULSE_CLI, "query", "--help"]));
  const during: number[] = [];
  const answers: number[] = [];
  const waitedBefore: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = runInBackground();
    await until(() => fs.existsSync(path.join(home, "dev", "query.sock")));
    const asked = performance.now();
    during.push(query());
    const socketAsked = performance.now();
    if (!(await askRunningRun(path.join(home, "dev", "query.sock"), SQL))) throw new Error("the run did not answer");
    answers.push(performance.now() - socketAsked);
    if ((await run.exited) !== 0) throw new Error("a run failed");
    // What the same query waited before: until the run released the warehouse.
    waitedBefore.push(performance.now() - asked);
  }
  console.log(`pulse query of gold, whole process, median of ${runs}:`);
  console.log(`  node start + CLI (--help):     ${median(start).toFixed(0)} ms`);
  console.log(`  no run:                        ${median(idle).toFixed(0)} ms`);
  console.log(`  during a run (answered by it): ${median(during).toFixed(0)} ms`);
  console.log(`  the run's answer on its socket: ${median(answers).toFixed(1)} ms`);
  console.log(`  the run still had to go (what a query waited before): ${median(waitedBefore).toFixed(0)} ms`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
