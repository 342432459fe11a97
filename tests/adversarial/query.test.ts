import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureLake } from "../../lake/ensureLake.js";
import { FIXTURE, gatedRun, homeAfterFirstRun, pulse, query, tempDir } from "../runner/helpers.js";

const ask = (home: string, ...args: string[]) => pulse(["query", "--project", FIXTURE, "--home", home, ...args]);

describe("pulse query is a reader", () => {
  it("refuses a write without --write, and runs it with --write", async () => {
    const home = await homeAfterFirstRun();
    const before = await query(home, "select count(*)::int as n from raw.users");
    const refused = await ask(home, "delete from raw.users");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("query refused: the statement is DELETE; pulse query only reads");
    expect(await query(home, "select count(*)::int as n from raw.users")).toEqual(before);

    const written = await ask(home, "--write", "delete from raw.users where user_id = 1");
    expect(written.code).toBe(0);
    expect(await query(home, "select count(*)::int as n from raw.users")).toEqual([{ n: Number(before[0]!.n) - 1 }]);
  });

  it("refuses a multi-statement string with a write anywhere in it, and runs none of it", async () => {
    const home = await homeAfterFirstRun();
    const refused = await ask(home, "select 1; drop table raw.users");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("statement 2 of 2 is DROP");
    expect(await query(home, "select count(*)::int as n from raw.users")).toEqual([{ n: 3 }]);
  });

  it("prints every statement's result", async () => {
    const home = await homeAfterFirstRun();
    const table = await ask(home, "select 1 as a; select 2 as b, 3 as c");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("-- statement 1 of 2");
    expect(table.stdout).toContain("-- statement 2 of 2");
    expect(table.stdout).toMatch(/b\s+c\n-\s+-\n2\s+3/);
    const json = await ask(home, "--format", "json", "select 1 as a; select 2 as b");
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it("reads no file outside PULSE_HOME and writes none: read_text, COPY ... TO, ATTACH", async () => {
    const home = await homeAfterFirstRun();
    const outside = path.join(tempDir(), "stolen.csv");
    const readText = await ask(home, "select * from read_text('/etc/passwd')");
    expect(readText.code).toBe(1);
    expect(readText.stderr).toContain('Cannot access file "/etc/passwd"');
    expect(readText.stdout).not.toContain("root:");

    const copy = await ask(home, `copy (select * from raw.users) to '${outside}'`);
    expect(copy.code).toBe(1);
    expect(copy.stderr).toMatch(/query (refused|failed)/);
    const attach = await ask(home, `attach '${path.join(home, "dev", "warehouse.duckdb")}' as rw`);
    expect(attach.stderr).toContain("the statement is ATTACH");
    // Even a writer cannot reach outside the home.
    const writerCopy = await ask(home, "--write", `copy (select * from raw.users) to '${outside}'`);
    expect(writerCopy.code).toBe(1);
    expect(writerCopy.stderr).toContain("Permission Error");
    expect(fs.existsSync(outside)).toBe(false);
  });

  it("shows the lake as it is now through bronze.*", async () => {
    const home = await homeAfterFirstRun();
    await ensureLake(path.join(home, "dev"));
    const result = await ask(home, "--format", "json", "select count(*) as n from bronze.registered_users");
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([{ n: 0 }]);
  });

  it("does not create a home that is not there", async () => {
    const home = path.join(tempDir(), "typo");
    const result = await ask(home, "select 1");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no pulse home at ${home}`);
    expect(fs.existsSync(home)).toBe(false);
  });

  it("during a run, answers at once from the state the previous run left, without waiting for the run", async () => {
    const home = await homeAfterFirstRun();
    const run = gatedRun(home, "create or replace table core.gated as select content from read_text('GATE')");
    try {
      await run.started;
      const during = await ask(home, "--lock-timeout", "0", "--format", "json", "select count(*) as runs from pulse_meta.runs");
      expect(during.stderr).toBe("");
      expect(JSON.parse(during.stdout)).toEqual([{ runs: 1 }]);
      // The answer came while the run still held the warehouse.
      expect(run.child.exitCode).toBeNull();
      expect(fs.existsSync(path.join(home, "dev", "run.lock"))).toBe(true);
      const refused = await ask(home, "--lock-timeout", "0", "delete from raw.users");
      expect(refused.stderr).toContain("query refused");
    } finally {
      await run.openGate();
    }
    expect(await run.exited).toBe(0);
    expect(JSON.parse((await ask(home, "--format", "json", "select count(*) as runs from pulse_meta.runs")).stdout)).toEqual([{ runs: 2 }]);
  }, 120_000);
});
