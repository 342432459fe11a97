import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE, query, runFixture, seedUsers, tempDir } from "../runner/helpers.js";
import { pulseEnv } from "./cliHarness.js";

/** Every file under `dir` with its size, modification time and content hash. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.statSync(file);
    files[path.relative(dir, file)] = `${stat.size}:${stat.mtimeMs}:${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`;
  }
  return files;
}

describe("environments' local state", () => {
  it("--env qa never touches dev's files", async () => {
    const home = path.join(tempDir(), "home");
    await seedUsers(home, "dev");
    expect((await runFixture(home)).code).toBe(0);
    const dev = snapshot(path.join(home, "dev"));
    expect(Object.keys(dev)).toContain("warehouse.duckdb");

    await seedUsers(home, "qa");
    const at = ["--project", FIXTURE, "--home", home];
    expect((await pulseEnv(["run", "--env", "qa", ...at])).code).toBe(0);
    expect((await pulseEnv(["run", "--full-refresh", ...at], { env: { PULSE_ENV: "qa" } })).code).toBe(0);
    const queried = await pulseEnv(["query", "--format", "json", "select count(*)::int as runs from pulse_meta.runs", ...at], { env: { PULSE_ENV: "qa" } });
    expect(JSON.parse(queried.stdout)).toEqual([{ runs: 2 }]);
    fs.mkdirSync(path.join(home, "qa", "landing", "registered_users"), { recursive: true });
    fs.writeFileSync(path.join(home, "qa", "landing", "registered_users", "u.csv"), "user_id,device_id,mac_address,registration_timestamp\n1,2,aa,1678451168\n");
    expect((await pulseEnv(["ingest", "--source", "landing", "--once", "--env", "qa", ...at])).code).toBe(0);
    expect((await pulseEnv(["test", "--env", "qa", ...at])).code).toBe(0);

    expect(snapshot(path.join(home, "dev"))).toEqual(dev);
    expect(fs.readdirSync(home).sort()).toEqual(["dev", "qa"]);
    expect(fs.readdirSync(path.join(home, "qa")).sort()).toEqual(expect.arrayContaining(["warehouse.duckdb", "lake", "landing", "unit-tests.jsonl"]));
    expect(await query(home, "select count(*)::int as runs from pulse_meta.runs", "dev")).toEqual([{ runs: 1 }]);
  });

  it("moves a single-environment home into dev/ on first use, with a message, and keeps its data", async () => {
    const home = path.join(tempDir(), "home");
    await seedUsers(home, "dev");
    expect((await runFixture(home)).code).toBe(0);
    // What pulse before environments left: the layout at the top of the home.
    for (const entry of fs.readdirSync(path.join(home, "dev"))) fs.renameSync(path.join(home, "dev", entry), path.join(home, entry));
    fs.rmdirSync(path.join(home, "dev"));
    const before = snapshot(home);

    const result = await pulseEnv(["query", "--format", "json", "select count(*)::int as n from core.user_names", "--project", FIXTURE, "--home", home]);
    expect(result.stderr).toBe(`pulse: moved the single-environment home ${home} into ${path.join(home, "dev")} (the 'dev' environment; see README "Environments")\n`);
    expect(JSON.parse(result.stdout)).toEqual([{ n: 3 }]);
    expect(fs.readdirSync(home)).toEqual(["dev"]);
    // Every file moved as it was, but the audit log, which records this query.
    const { "audit_log.jsonl": audited, ...moved } = snapshot(path.join(home, "dev"));
    const { "audit_log.jsonl": auditedBefore, ...kept } = before;
    expect(moved).toEqual(kept);
    expect(Number(audited!.split(":")[0])).toBeGreaterThan(Number(auditedBefore!.split(":")[0]));
    // Once moved, nothing more to say.
    expect((await pulseEnv(["query", "select 1", "--project", FIXTURE, "--home", home])).stderr).toBe("");
  });

  it("finishes a move cut short, and leaves a home alone while an older pulse holds it", async () => {
    const home = path.join(tempDir(), "home");
    await seedUsers(home, "dev");
    expect((await runFixture(home)).code).toBe(0);
    // Cut short after the warehouse was gathered, before the run's progress file.
    fs.renameSync(path.join(home, "dev"), path.join(home, ".dev-migrating"));
    fs.renameSync(path.join(home, ".dev-migrating", "run-progress.json"), path.join(home, "run-progress.json"));
    fs.writeFileSync(path.join(home, "run.lock"), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), command: "pulse run" }));
    const held = await pulseEnv(["query", "select 1", "--project", FIXTURE, "--home", home]);
    expect(held.code).toBe(75);
    expect(held.stderr).toContain(`pid ${process.pid} (an older pulse) holds this single-environment home`);
    expect(fs.readdirSync(home).sort()).toEqual([".dev-migrating", "run-progress.json", "run.lock"]);

    fs.rmSync(path.join(home, "run.lock"));
    const resumed = await pulseEnv(["query", "--format", "json", "select count(*)::int as n from core.user_names", "--project", FIXTURE, "--home", home]);
    expect(JSON.parse(resumed.stdout)).toEqual([{ n: 3 }]);
    expect(fs.readdirSync(home)).toEqual(["dev"]);
    expect(fs.readdirSync(path.join(home, "dev"))).toEqual(expect.arrayContaining(["warehouse.duckdb", "run-progress.json"]));
  });

  it("refuses an unknown --env with exit 2, naming the allowed environments", async () => {
    const home = path.join(tempDir(), "home");
    const result = await pulseEnv(["run", "--env", "staging", "--project", FIXTURE, "--home", home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("pulse: --env: unknown environment 'staging' (built-in environments (no environments.yaml) declares: dev, qa, prod)\n");
    expect(fs.existsSync(home)).toBe(false);
  });
});
