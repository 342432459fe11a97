import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { officialExecutionActions } from "../runner/check/officialExecutionSql.js";
import { ensureZetaSqlTool } from "../runner/check/zetasqlTool.js";
import { PULSE_CLI, REPO, median, timeProcess } from "./runnerProjects.js";

/**
 * ZetaSQL check (`pulse compile --check bigquery`) of this repository's project:
 *  - the first build of tools/zetasql-check into an empty cache (Maven compile + class path; ~/.m2 as it is,
 *    so on a machine that never fetched ZetaSQL add the download, measured by hand in docs/bigquery.md);
 *  - the whole check as a user runs it, warm (median of N);
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
timeProcess(process.execPath, [PULSE_CLI, "compile", "--check", "bigquery", "--project", REPO]);
const whole: number[] = [];
const official: number[] = [];
for (let i = 0; i < runs; i++) {
  whole.push(timeProcess(process.execPath, [PULSE_CLI, "compile", "--check", "bigquery", "--project", REPO]));
  const started = performance.now();
  await officialExecutionActions(REPO, "pulse", {}, new Map());
  official.push(performance.now() - started);
}
console.log(`whole check, warm, median of ${runs}: ${(median(whole) / 1000).toFixed(1)} s (runs: ${whole.map((t) => (t / 1000).toFixed(1)).join(", ")} s)`);
console.log(`one official CLI rendering (dataform run --dry-run --json, offline), median of ${runs}: ${(median(official) / 1000).toFixed(1)} s`);
