import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./median.js";
import { PULSE_CLI, generateTrivialProject, timeProcess } from "./runnerProjects.js";

/**
 * Runner overhead: `pulse run` (whole process: start, compile, plan, execute, record history) on a graph of
 * 200 trivial tables, against a process that executes the same SQL statements one after another on
 * DuckDB directly (open the file, attach it under the project's name, run the statements, close). The
 * difference per action is what the runner costs. Usage: npx tsx bench/runner-overhead.ts [runs] [actions]
 */
const runs = Math.max(5, Number(process.argv[2] ?? 7));
const actions = Number(process.argv[3] ?? 200);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-overhead-"));

interface DryRun {
  actions: { plan?: { steps: { kind: string; sql: string }[] } }[];
}

/** The same statements on DuckDB through @duckdb/node-api, also as a whole process, so both sides pay node's start and DuckDB's load. */
const DIRECT = `
import fs from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
const [statementsFile, warehouse] = process.argv.slice(1);
const instance = await DuckDBInstance.create(":memory:");
const connection = await instance.connect();
await connection.run("attach '" + warehouse + "' as bench");
await connection.run("use bench");
for (const statement of JSON.parse(fs.readFileSync(statementsFile, "utf8"))) await connection.run(statement);
connection.closeSync();
instance.closeSync();
`;

function runDirectly(statementsFile: string, home: string): number {
  fs.mkdirSync(home, { recursive: true });
  return timeProcess(process.execPath, ["--input-type=module", "-e", DIRECT, statementsFile, path.join(home, "dev", "warehouse.duckdb")]);
}

try {
  const project = path.join(scratch, "project");
  generateTrivialProject(project, actions);
  // The statements a first run executes, exactly as the runner plans them.
  const plan = JSON.parse(
    execFileSync(process.execPath, [PULSE_CLI, "run", "--project", project, "--home", path.join(scratch, "dry"), "--dry-run", "--json"], { encoding: "utf8", maxBuffer: 64 << 20 }),
  ) as DryRun;
  const statements = ['create schema if not exists "bench"."core"', ...plan.actions.flatMap((a) => (a.plan?.steps ?? []).map((s) => s.sql))];
  if (plan.actions.length !== actions) throw new Error(`expected ${actions} actions, planned ${plan.actions.length}`);
  const statementsFile = path.join(scratch, "statements.json");
  fs.writeFileSync(statementsFile, JSON.stringify(statements));

  const pulse: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < runs; i++) {
    pulse.push(timeProcess(process.execPath, [PULSE_CLI, "run", "--project", project, "--home", path.join(scratch, `pulse-${i}`)]));
    direct.push(runDirectly(statementsFile, path.join(scratch, `direct-${i}`)));
  }
  // Again on the warehouses just built: every table is replaced, the steady state of a scheduled run.
  const rerun: number[] = [];
  const directRerun: number[] = [];
  for (let i = 0; i < runs; i++) {
    rerun.push(timeProcess(process.execPath, [PULSE_CLI, "run", "--project", project, "--home", path.join(scratch, `pulse-${i}`)]));
    directRerun.push(runDirectly(statementsFile, path.join(scratch, `direct-${i}`)));
  }

  console.log(`${actions} trivial actions (${statements.length} statements), medians of ${runs}:`);
  for (const [label, p, d] of [
    ["fresh warehouse", median(pulse), median(direct)],
    ["existing warehouse", median(rerun), median(directRerun)],
  ] as const) {
    console.log(`  ${label}: pulse run (whole process) ${p.toFixed(0)} ms, DuckDB directly ${d.toFixed(0)} ms → overhead ${((p - d) / actions).toFixed(2)} ms/action`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
