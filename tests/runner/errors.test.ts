import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE, homeAfterFirstRun, pulse, query, runFixture, tempDir } from "./helpers.js";

/** A user error: one clear line on stderr, a non-zero exit, no stack trace. */
function expectUserError(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBe(70);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
}

function copyFixture(): string {
  const project = path.join(tempDir(), "project");
  fs.cpSync(FIXTURE, project, { recursive: true });
  return project;
}

describe("pulse run: bad input", () => {
  const home = () => path.join(tempDir(), "home");

  it("rejects unknown --actions, unknown --tags and ambiguous or malformed input with a clear message", async () => {
    expectUserError(await runFixture(home(), "--actions", "nope"), /--actions: no action matches 'nope'/);
    expectUserError(await runFixture(home(), "--actions", "core.nope_*"), /--actions: no action matches 'core\.nope_\*'/);
    expectUserError(await runFixture(home(), "--tags", "nope"), /--tags: no action has tag 'nope'\. Known tags: append, checks, core/);
    expectUserError(await runFixture(home(), "--vars", "batch"), /--vars: 'batch' is not key=value/);
    expectUserError(await runFixture(home(), "--vars", "=2"), /--vars: '=2' is not key=value/);
    expectUserError(await runFixture(home(), "--concurrency", "0"), /--concurrency/);
    expectUserError(await runFixture(home(), "--bogus"), /unknown option '--bogus'/);
  });

  it("reports a missing project, a directory that is not a project and unreadable workflow settings", async () => {
    const missing = path.join(tempDir(), "nowhere");
    expectUserError(await pulse(["run", "--project", missing, "--home", home()]), /project directory not found: .*nowhere/);
    expectUserError(await pulse(["run", "--project", tempDir(), "--home", home()]), /is not a Dataform project: workflow_settings\.yaml not found/);

    const broken = copyFixture();
    fs.writeFileSync(path.join(broken, "workflow_settings.yaml"), "defaultProject: [fixture\n  oops: : yes\n");
    expectUserError(await pulse(["run", "--project", broken, "--home", home()]), /workflow_settings\.yaml: .*not a valid YAML file/);

    const unreadable = copyFixture();
    fs.rmSync(path.join(unreadable, "workflow_settings.yaml"));
    fs.mkdirSync(path.join(unreadable, "workflow_settings.yaml"));
    expectUserError(await pulse(["run", "--project", unreadable, "--home", home()]), /workflow_settings\.yaml/);

    const invalid = copyFixture();
    fs.writeFileSync(path.join(invalid, "workflow_settings.yaml"), "defaultProject: fixture\nnotASetting: 3\n");
    expectUserError(await pulse(["run", "--project", invalid, "--home", home()]), /Unexpected property "notASetting"/);
  });

  it("reports a compilation error with its file and runs nothing", async () => {
    const project = copyFixture();
    const h = home();
    fs.writeFileSync(path.join(project, "definitions", "core", "broken.sqlx"), 'config { type: "table" }\nSELECT ${ref("does_not_exist")}\n');
    const result = await pulse(["run", "--project", project, "--home", h]);
    expectUserError(result, /compilation failed with \d+ error\(s\):\n\s+definitions\/core\/broken\.sqlx: .*does_not_exist/);
    expect(fs.existsSync(h)).toBe(false);
  });
});

describe("pulse run: one writer per PULSE_HOME", () => {
  /** A live process that pretends to be a run holding the lock. */
  function holdLock(home: string) {
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, "dev", "run.lock"), JSON.stringify({ pid: holder.pid, startedAt: new Date().toISOString(), command: "pulse run --tags slow" }));
    return holder;
  }

  it("fails clearly with --lock-timeout 0 while another run holds the warehouse", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    const holder = holdLock(home);
    try {
      const result = await runFixture(home, "--lock-timeout", "0");
      expectUserError(result, new RegExp(`another pulse process holds the warehouse.*pid ${holder.pid} \\('pulse run --tags slow'`));
      expect(result.code).toBe(75);
    } finally {
      holder.kill();
    }
    expect(await query(home, "select count(*) as n from pulse_meta.runs")).toEqual([{ n: 1 }]);
  });

  it("waits for the holder to release the lock, then runs", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    const holder = holdLock(home);
    let release: () => void = () => {};
    const waiting = new Promise<void>((resolve) => (release = resolve));
    const run = pulse(["run", "--project", FIXTURE, "--home", home, "--tags", "raw"], {
      onStderr: (text) => {
        if (text.includes(`waiting for pid ${holder.pid}`)) release();
      },
    });
    await waiting;
    fs.rmSync(path.join(home, "dev", "run.lock"));
    holder.kill();
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect(await query(home, "select count(*) as n from pulse_meta.runs")).toEqual([{ n: 2 }]);
  });

  it("two concurrent runs on one home both succeed", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    const [a, b] = await Promise.all([runFixture(home, "--vars", "batch=2"), runFixture(home, "--vars", "batch=3")]);
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    expect(await query(home, "select status from pulse_meta.runs")).toEqual([{ status: "success" }, { status: "success" }, { status: "success" }]);
    expect(await query(home, "select batch, count(*) as n from raw.events group by batch order by batch")).toEqual([
      { batch: 1, n: 4 },
      { batch: 2, n: 4 },
      { batch: 3, n: 4 },
    ]);
  });
});
