/**
 * One CI stage per call: `npx tsx scripts/ciStage.ts <test|deploy-dev|qa|promote>`. The GitHub Actions workflow
 * (.github/workflows/pulse.yml) only calls this script; what each stage does is decided here, where it is tested
 * (tests/environments/ciStage.test.ts). Every stage runs the built CLI (dist/, built by `npm ci`) on the project in
 * the current directory, with PULSE_HOME shared between stages of one job.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PACKAGE_ROOT } from "../lib/home.js";
import { DEPLOY_VARIABLE } from "../environments/writeGuard.js";

export const STAGES = ["test", "deploy-dev", "qa", "promote"] as const;
export type Stage = (typeof STAGES)[number];

export interface Step {
  /** `pulse` runs the built CLI; anything else is a program on PATH. */
  command: string;
  args: string[];
  /** Variables the step adds to the environment. */
  env?: Record<string, string>;
}

/** Synthetic data each deployed environment loads and transforms: small, and the same for every run (same seed). */
const SYNTHETIC = ["--users", "25", "--days", "2", "--seed", "42"];

/** Lands synthetic data in `env`, loads it into bronze and runs the whole graph there (every assertion included). */
function deploy(env: string): Step[] {
  return [
    { command: "pulse", args: ["produce", "--env", env, "--to", "landing", "--synthetic", ...SYNTHETIC] },
    { command: "pulse", args: ["ingest", "--env", env, "--source", "landing", "--once"] },
    { command: "pulse", args: ["run", "--env", env] },
  ];
}

/** What a stage runs, in order; the first failing step ends the stage with its exit code. */
export function stagePlan(stage: Stage, environments: string[]): Step[] {
  switch (stage) {
    case "test":
      // The repository's own suite (.ci/run installs and starts what it needs), then every environment must compile.
      return [{ command: "bash", args: [".ci/run"] }, ...environments.map((env) => ({ command: "pulse", args: ["compile", "--env", env] }))];
    case "deploy-dev":
      return deploy("dev");
    case "qa":
      // The unit tests are recorded with the graph's hash in qa; the run records its assertions: both feed the gate.
      return [{ command: "pulse", args: ["test", "--env", "qa"] }, ...deploy("qa")];
    case "promote":
      return [{ command: "pulse", args: ["promote", "--from", "qa", "--to", "prod"], env: { [DEPLOY_VARIABLE]: "prod" } }];
  }
}

export interface StageOptions {
  /** The process environment the steps inherit (CI=true is required to promote). */
  env: NodeJS.ProcessEnv;
  /** The project directory the steps run in (pulse's --project default). */
  cwd: string;
  log: (line: string) => void;
}

/** Runs a stage; returns its exit code. Only CI promotes: the deploy variable is set here, and only with CI=true. */
export function runStage(stage: Stage, environments: string[], options: StageOptions): number {
  if (stage === "promote" && options.env.CI !== "true") {
    options.log(`ciStage promote: refused outside CI (CI=true is unset); prod is written by the pipeline only (README "Environments")`);
    return 1;
  }
  for (const step of stagePlan(stage, environments)) {
    const [program, args] = step.command === "pulse" ? [process.execPath, [path.join(PACKAGE_ROOT, "dist", "cli", "main.js"), ...step.args]] : [step.command, step.args];
    options.log(`ciStage ${stage}: ${step.command} ${step.args.join(" ")}`);
    const result = spawnSync(program, args, { cwd: options.cwd, env: { ...options.env, ...step.env }, stdio: "inherit" });
    const code = result.status ?? 1;
    if (code !== 0) {
      options.log(`ciStage ${stage}: '${step.command} ${step.args.join(" ")}' failed (exit ${code})`);
      return code;
    }
  }
  return 0;
}

function isStage(name: string | undefined): name is Stage {
  return (STAGES as readonly string[]).includes(name ?? "");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stage = process.argv[2];
  if (!isStage(stage) || process.argv.length > 3) {
    process.stderr.write(`usage: npx tsx scripts/ciStage.ts <${STAGES.join("|")}>\n`);
    process.exit(2);
  }
  const { loadEnvironments } = await import("../environments/environments.js");
  const environments = loadEnvironments(process.cwd()).map((env) => env.name);
  process.exit(runStage(stage, environments, { env: process.env, cwd: process.cwd(), log: (line) => process.stderr.write(`${line}\n`) }));
}
