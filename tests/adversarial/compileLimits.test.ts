import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FIXTURE, REPO, pulse, tempDir } from "../runner/helpers.js";

function copyFixture(): string {
  const project = path.join(tempDir(), "project");
  fs.cpSync(FIXTURE, project, { recursive: true });
  return project;
}

describe("compile limits", () => {
  it("an endless loop in includes/ stops at the compile time limit with an error naming the project", () => {
    const project = copyFixture();
    fs.appendFileSync(path.join(project, "includes", "fx.js"), "\nwhile (true) {}\n");
    const started = performance.now();
    // The child is killed after 30 s: before the limit existed, this compile never ended.
    const result = spawnSync(process.execPath, [path.join(REPO, "dist", "cli", "main.js"), "compile", "--project", project], {
      env: { ...process.env, PULSE_COMPILE_TIMEOUT: "1" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`compile of the project ${fs.realpathSync(project)} did not finish within 1 s`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it("refuses a PULSE_COMPILE_TIMEOUT that is not a number of seconds", () => {
    const result = spawnSync(process.execPath, [path.join(REPO, "dist", "cli", "main.js"), "compile", "--project", FIXTURE], {
      env: { ...process.env, PULSE_COMPILE_TIMEOUT: "1x" },
      encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("PULSE_COMPILE_TIMEOUT: expected a number of seconds above 0, got '1x'");
  });

  it("an empty .sqlx fails its action naming the file, not with DuckDB's 'Error in native callback'", async () => {
    const project = copyFixture();
    fs.writeFileSync(path.join(project, "definitions", "empty.sqlx"), "");
    const home = path.join(tempDir(), "home");
    const result = await pulse(["run", "--project", project, "--home", home, "--actions", "empty"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("definitions/empty.sqlx has no SQL to run");
    expect(result.stderr).not.toContain("native callback");
  });
});
