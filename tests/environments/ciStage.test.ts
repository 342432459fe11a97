import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../lib/home.js";
import { runStage, stagePlan, STAGES } from "../../scripts/ciStage.js";
import { pulseEnv } from "./cliHarness.js";

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("scripts/ciStage.ts (the stages .github/workflows/pulse.yml calls)", () => {
  it("plans test, deploy to dev, assertions in qa and promote to prod; only promote carries the deploy variable", () => {
    const envs = ["dev", "qa", "prod"];
    const plans = Object.fromEntries(STAGES.map((stage) => [stage, stagePlan(stage, envs).map((step) => [step.command, ...step.args].join(" "))]));
    expect(plans.test).toEqual(["bash .ci/run", "pulse compile --env dev", "pulse compile --env qa", "pulse compile --env prod"]);
    expect(plans["deploy-dev"]).toEqual(["pulse produce --env dev --to landing --synthetic --users 25 --days 2 --seed 42", "pulse ingest --env dev --source landing --once", "pulse run --env dev"]);
    expect(plans.qa).toEqual([
      "pulse test --env qa",
      "pulse produce --env qa --to landing --synthetic --users 25 --days 2 --seed 42",
      "pulse ingest --env qa --source landing --once",
      "pulse run --env qa",
    ]);
    expect(stagePlan("promote", envs)).toEqual([{ command: "pulse", args: ["promote", "--from", "qa", "--to", "prod"], env: { PULSE_DEPLOY: "prod" } }]);
    for (const stage of ["test", "deploy-dev", "qa"] as const) expect(stagePlan(stage, envs).every((step) => step.env === undefined)).toBe(true);
    const workflow = fs.readFileSync(path.join(PACKAGE_ROOT, ".github", "workflows", "pulse.yml"), "utf8");
    const called = [...workflow.matchAll(/run: npx tsx scripts\/ciStage\.ts (\S+)/g)].map((m) => m[1]);
    expect(called).toEqual([...STAGES]);
  });

  it("promotes only on CI, only what qa passed, and then prod runs qa's graph", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-ci-"));
    made.push(home);
    const logs: string[] = [];
    const options = (env: NodeJS.ProcessEnv) => ({ env: { ...process.env, PULSE_HOME: home, PULSE_ENV: "", PULSE_DEPLOY: "", ...env }, cwd: PACKAGE_ROOT, log: (line: string) => logs.push(line) });
    const envs = ["dev", "qa", "prod"];

    expect(runStage("promote", envs, options({ CI: "" }))).toBe(1);
    expect(logs.at(-1)).toContain("ciStage promote: refused outside CI");
    // On CI, before qa passed anything: the gate refuses.
    expect(runStage("promote", envs, options({ CI: "true" }))).toBe(1);
    expect(logs.at(-1)).toBe("ciStage promote: 'pulse promote --from qa --to prod' failed (exit 1)");
    expect(fs.existsSync(path.join(home, "prod"))).toBe(false);

    expect(runStage("qa", envs, options({ CI: "true" }))).toBe(0);
    expect(runStage("promote", envs, options({ CI: "true" }))).toBe(0);
    const at = ["--home", home, "--format", "json", "--project", PACKAGE_ROOT];
    const hashes = async (env: string) => JSON.parse((await pulseEnv(["query", "--env", env, "select graph_hash, status from pulse_meta.runs", ...at])).stdout) as unknown[];
    const [qa] = await hashes("qa");
    expect(await hashes("prod")).toEqual([qa]);
    expect(qa).toMatchObject({ status: "success" });
  });
});
