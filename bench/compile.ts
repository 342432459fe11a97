import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./median.js";
import { DATAFORM_CLI, PULSE_CLI, REPO, generateCompileProject, makeCompilableByOfficialCli, timeProcess } from "./runnerProjects.js";

/**
 * Compile: `pulse compile --json` vs `npx dataform compile --json` and the same dataform CLI started
 * without npx, each a whole process as a user runs it, on this repository's project and on a generated
 * ~300-action project, interleaved so all see the same machine load. Prints medians and how many times
 * slower dataform is. Usage: npx tsx bench/compile.ts [runs]   (build first: npm run build)
 */
const runs = Math.max(5, Number(process.argv[2] ?? 7));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-compile-"));

try {
  const generated = path.join(scratch, "generated");
  generateCompileProject(generated, 300);
  makeCompilableByOfficialCli(generated);
  const projects = [
    { label: "repository project", dir: REPO },
    { label: "generated project", dir: generated },
  ];
  for (const { label, dir } of projects) {
    const graph = JSON.parse(execFileSync(process.execPath, [PULSE_CLI, "compile", "--json", "--project", dir], { encoding: "utf8", maxBuffer: 256 << 20 })) as Record<string, unknown[] | undefined>;
    const actions = ["tables", "operations", "assertions"].reduce((n, key) => n + (graph[key]?.length ?? 0), 0);
    const contenders = {
      pulse: [process.execPath, [PULSE_CLI, "compile", "--json", "--project", dir]],
      "npx dataform": ["npx", ["dataform", "compile", dir, "--json"]],
      // The same CLI without npx's own start-up, the stricter comparison.
      "dataform (bin)": [DATAFORM_CLI, ["compile", dir, "--json"]],
    } as const;
    const times: Record<string, number[]> = {};
    // One untimed run each warms the file cache (pulse's was the one above).
    timeProcess(DATAFORM_CLI, ["compile", dir, "--json"]);
    for (let i = 0; i < runs; i++) {
      for (const [name, [command, args]] of Object.entries(contenders)) (times[name] ??= []).push(timeProcess(command, [...args]));
    }
    const pulse = median(times.pulse!);
    const others = Object.keys(contenders)
      .filter((name) => name !== "pulse")
      .map((name) => `${name} ${median(times[name]!).toFixed(0)} ms (${(median(times[name]!) / pulse).toFixed(1)}×)`);
    console.log(`${label} (${actions} actions), medians of ${runs}: pulse ${pulse.toFixed(0)} ms; ${others.join("; ")}`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
