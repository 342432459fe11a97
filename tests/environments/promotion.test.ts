import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE, query, seedUsers, tempDir } from "../runner/helpers.js";
import { pulseEnv } from "./cliHarness.js";

// The fixture project has no environments.yaml: the built-in dev, qa and prod (prod closed to developer writes).
describe("pulse promote --from qa --to prod (the promotion gate)", () => {
  it("refuses after a failed qa assertion and after a changed graph, and passes otherwise", async () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    const home = path.join(tempDir(), "home");
    await seedUsers(home, "qa");
    await seedUsers(home, "prod");
    const at = ["--project", project, "--home", home];
    const promote = (deploy: string | undefined, ...flags: string[]) => pulseEnv(["promote", "--from", "qa", "--to", "prod", ...flags, ...at], { deploy });
    const prodRuns = async () => (await query(home, "select count(*)::int as n from information_schema.tables where table_schema = 'pulse_meta' and table_name = 'runs'", "prod"))[0]!.n;

    // Nothing tested in qa yet.
    const untested = await promote("prod");
    expect(untested.code).toBe(1);
    expect(untested.stderr).toContain("qa has no recorded run");
    expect(untested.stderr).toContain("'pulse test --env qa' has not been run on graph");

    // qa ran this graph, but an assertion failed there (fail_gate=yes makes checks.gate return rows).
    expect((await pulseEnv(["test", "--env", "qa", "--vars", "fail_gate=yes", ...at])).code).toBe(0);
    expect((await pulseEnv(["run", "--env", "qa", "--vars", "fail_gate=yes", ...at])).code).toBe(1);
    const failedAssertion = await promote("prod", "--vars", "fail_gate=yes");
    expect(failedAssertion.code).toBe(1);
    expect(failedAssertion.stderr).toContain("promote qa → prod: refused");
    expect(failedAssertion.stderr).toContain("assertion fixture.checks.gate failed in qa's last run");
    expect(failedAssertion.stderr).not.toContain("pulse test");
    expect(failedAssertion.stderr).not.toMatch(/\n\s+at /);
    expect(await prodRuns()).toBe(0);

    // qa passes the graph prod runs by default: a developer still may not write prod, a deploy may.
    expect((await pulseEnv(["test", "--env", "qa", ...at])).code).toBe(0);
    expect((await pulseEnv(["run", "--env", "qa", ...at])).code).toBe(0);
    const fromLaptop = await promote(undefined);
    expect(fromLaptop.code).toBe(1);
    expect(fromLaptop.stderr).toContain("promote in 'prod': refused; 'prod' is not writable from a developer's machine");
    const refusedRun = await pulseEnv(["run", "--env", "prod", ...at]);
    expect(refusedRun.code).toBe(1);
    expect(refusedRun.stderr).toContain("PULSE_DEPLOY=prod");
    const deployed = await promote("prod");
    expect(deployed.stderr).toMatch(/promote qa → prod: graph [0-9a-f]{12} passed qa/);
    expect(deployed.code).toBe(0);
    const [qaRun] = await query(home, "select graph_hash from pulse_meta.runs order by started_at desc limit 1", "qa");
    const [prodRun] = await query(home, "select graph_hash, status from pulse_meta.runs", "prod");
    expect(prodRun).toEqual({ graph_hash: qaRun!.graph_hash, status: "success" });

    // A changed model: qa has not run this graph.
    const model = path.join(project, "definitions", "core", "user_names.sqlx");
    fs.writeFileSync(model, fs.readFileSync(model, "utf8").replace(/\s*$/, "\n-- changed after qa\n"));
    const changed = await promote("prod");
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/qa's last run \([^)]+\) ran graph [0-9a-f]{12}, not graph [0-9a-f]{12} that would be promoted/);
    expect(changed.stderr).toContain("'pulse test --env qa' has not been run on graph");
    expect(await query(home, "select count(*)::int as n from pulse_meta.runs", "prod")).toEqual([{ n: 1 }]);
  });
});
