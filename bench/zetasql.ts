import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { officialExecutionActions } from "../runner/check/officialExecutionSql.js";
import { ensureZetaSqlTool } from "../runner/check/zetasqlTool.js";
import { median } from "./median.js";
import { PULSE_CLI, REPO } from "./runnerProjects.js";

/** Wall and CPU (user + system, children included) seconds of one whole check, through GNU time. */
function timeCheck(): { wall: number; cpu: number } {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S", process.execPath, PULSE_CLI, "compile", "--check", "bigquery", "--project", REPO], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`check failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  const [wall, user, system] = result.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { wall: wall!, cpu: user! + system! };
}

/**
 * ZetaSQL check (`pulse compile --check bigquery`) of this repository's project:
 *  - the first build of tools/zetasql-check into an empty cache (Maven compile + class path; ~/.m2 as it is,
 *    so on a machine that never fetched ZetaSQL add the download, measured by hand in docs/bigquery.md);
 *  - the whole check as a user runs it, warm (median of N): wall time, and CPU time of it and its children
 *    (the JVM, the official CLI), which a loaded shared machine does not inflate as it does the wall time;
 *  - of which the official CLI's two `run --dry-run --json` renderings (median of N), run beside the JVM.
 * Usage: npx tsx bench/zetasql.ts [runs]   (build first: npm run build)
 */
const runs = Math.max(3, Number(process.argv[2] ?? 5));

const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-zetasql-"));
const saved = process.env.XDG_CACHE_HOME;
process.env.XDG_CACHE_HOME = cache;
try {
  const started = performance.now();
  await ensureZetaSqlTool(() => {});
  console.log(`first build into an empty cache: ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
  fs.rmSync(cache, { recursive: true, force: true });
}

await ensureZetaSqlTool((line) => console.log(line));
timeCheck();
const whole: number[] = [];
const cpu: number[] = [];
const official: number[] = [];
for (let i = 0; i < runs; i++) {
  const run = timeCheck();
  whole.push(run.wall);
  cpu.push(run.cpu);
  const started = performance.now();
  await officialExecutionActions(REPO, "pulse", {}, new Map());
  official.push(performance.now() - started);
}
console.log(
  `whole check, warm, medians of ${runs}: ${median(whole).toFixed(1)} s wall, ${median(cpu).toFixed(1)} s CPU (wall per run: ${whole.map((t) => t.toFixed(1)).join(", ")} s; load average now ${os.loadavg()[0]!.toFixed(1)})`,
);
console.log(`one official CLI rendering (dataform run --dry-run --json, offline), median of ${runs}: ${(median(official) / 1000).toFixed(1)} s`);
