import { median } from "./median.js";
import { PULSE_CLI, REPO, timeProcess } from "./runnerProjects.js";

/**
 * CLI start-up: whole `pulse` processes as a user starts them, interleaved so all see the same machine
 * load: `pulse compile` on this repository's project (flag parsing + compile), `pulse compile --help` and
 * `pulse --help` (flag parsing alone). Prints medians in ms. With a second built CLI (e.g. a copy of an
 * older dist/ kept under bench/results/, gitignored) it times both, interleaved, and prints the difference.
 * Usage: npx tsx bench/cliStartup.ts [runs] [other/dist/cli/main.js]   (build first: npm run build)
 */
const runs = Math.max(5, Number(process.argv[2] ?? 21));
const baseline = process.argv[3];
const commands = {
  "pulse compile": ["compile", "--project", REPO],
  "pulse compile --help": ["compile", "--help"],
  "pulse --help": ["--help"],
} as const;
const clis = { current: PULSE_CLI, ...(baseline ? { baseline } : {}) };
const times: Record<string, number[]> = {};
const key = (cli: string, name: string) => `${name} (${cli})`;
for (const main of Object.values(clis)) for (const args of Object.values(commands)) timeProcess(process.execPath, [main, ...args]);
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(commands)) {
    for (const [cli, main] of Object.entries(clis)) (times[key(cli, name)] ??= []).push(timeProcess(process.execPath, [main, ...args]));
  }
}
for (const name of Object.keys(commands)) {
  const current = median(times[key("current", name)]!);
  const line = [`${name.padEnd(22)} ${current.toFixed(0).padStart(5)} ms`];
  if (baseline) {
    const before = median(times[key("baseline", name)]!);
    line.push(`baseline ${before.toFixed(0).padStart(5)} ms`, `difference ${(current - before).toFixed(0)} ms`);
  }
  process.stdout.write(`${line.join("   ")}   (medians of ${runs} runs)\n`);
}
