import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runPulse } from "../../cli/program.js";
import { UserError } from "../../lib/errors.js";
import { FIXTURE, pulse, runFixture, tempDir } from "../runner/helpers.js";

/** A usage error: exit 2, one line naming the flag, no stack trace. */
function expectUsageError(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
}

async function usageError(argv: string[]): Promise<UserError> {
  const error = await runPulse(argv).then(
    (code) => new Error(`exited ${code}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).exitCode).toBe(2);
  return error as UserError;
}

describe("usage errors exit 2 and name the flag", () => {
  it.each([
    [["run", "--actions", ""], /run: option '--actions <x,y>' argument '' is invalid\. names nothing/],
    [["run", "--actions", ","], /--actions <x,y>' argument ',' is invalid\. names nothing/],
    [["run", "--tags", ""], /--tags <a,b>' argument '' is invalid\. names nothing/],
    [["run", "--tags-all", " , "], /--tags-all <a,b>' argument ' , ' is invalid/],
    [["test", "--actions", ""], /test: option '--actions <name,...>' argument '' is invalid/],
    [["stream", "--tags", ","], /stream: option '--tags <a,b>'/],
    [["run", "--concurrency=0x4"], /--concurrency <n>' argument '0x4' is invalid\. expected a whole number/],
    [["run", "--concurrency", "1e1"], /--concurrency <n>' argument '1e1' is invalid/],
    [["run", "--concurrency", "33"], /--concurrency <n>' argument '33' is invalid\. must be between 1 and 32/],
    [["run", "--lock-timeout", "-1"], /--lock-timeout/],
    [["run", "--interval", "5 s"], /--interval <duration>' argument '5 s' is invalid\. expected a duration/],
    [["run", "--vars", "watermark_seconds="], /--vars <k=v,\.\.\.>' argument 'watermark_seconds=' is invalid\. --vars: 'watermark_seconds=' has no value/],
    [["compile", "--vars", "a=1,b="], /compile: option '--vars .*'b=' has no value/],
    [["compile", "--warehouse", "snowflake"], /--warehouse <name>' argument 'snowflake' is invalid\. Allowed choices are bigquery, duckdb/],
    [["demo", "--users", "0"], /--users <n>' argument '0' is invalid/],
    [["ingest", "--source", "kafka", "--max-batch", "0x10"], /ingest: option '--max-batch <n>' argument '0x10' is invalid/],
    [["ingest", "--source", "kafka", "--brokers", "localhost"], /--brokers <host:port,...>' argument 'localhost' is invalid\. 'localhost' is not host:port/],
    [["ingest", "status", "--bogus"], /^ingest status: unknown option '--bogus' \(see 'pulse ingest status --help'\)$/],
    [["produce", "--to", "landing", "--iteration", "+1"], /--iteration <n>' argument '\+1' is invalid/],
    [["nope"], /^unknown command 'nope'/],
  ])("pulse %j", async (argv, message) => {
    expect((await usageError(argv)).message).toMatch(message);
  });

  it("refuses flags of another source", async () => {
    expect((await usageError(["ingest", "--source", "kafka", "--subscriptions", "a=bpm"])).message).toMatch(/--subscriptions cannot be combined with --source kafka/);
    expect((await usageError(["ingest", "--source", "pubsub", "--group", "g"])).message).toMatch(/--group cannot be combined with --source pubsub/);
    expect((await usageError(["ingest", "--source", "landing", "--once", "--brokers", "h:1"])).message).toMatch(/--brokers cannot be combined with --source landing/);
  });

  it("the built CLI prints one line and exits 2 for a bad flag value, an empty selection and an unknown flag", async () => {
    const home = path.join(tempDir(), "home");
    expectUsageError(await runFixture(home, "--concurrency=0x4"), /^pulse: run: option '--concurrency <n>' argument '0x4' is invalid/);
    expectUsageError(await runFixture(home, "--actions", ""), /--actions <x,y>' argument '' is invalid/);
    expectUsageError(await runFixture(home, "--bogus"), /unknown option '--bogus'/);
    // Nothing ran: the home was never created.
    expect(fs.existsSync(home)).toBe(false);
  });
});

describe("--home", () => {
  it('refuses --home "" instead of writing state into the current directory', async () => {
    const result = await pulse(["run", "--project", FIXTURE, "--home", "", "--dry-run"]);
    expectUsageError(result, /^pulse: --home: empty/);
    expect(fs.existsSync(path.join(FIXTURE, "lake"))).toBe(false);
    expect(fs.existsSync(path.join(FIXTURE, "warehouse.duckdb"))).toBe(false);
  });

  it("gives a clear error for a home that is not a directory", async () => {
    expectUsageError(await runFixture("/dev/null"), /^pulse: --home \/dev\/null: not a directory$/m);
    const file = path.join(tempDir(), "a-file");
    fs.writeFileSync(file, "");
    expectUsageError(await pulse(["ingest", "--source", "landing", "--once", "--home", file]), /--home .*a-file: not a directory/);
  });

  it("a read command refuses a home that does not exist rather than creating an empty one", async () => {
    const typo = path.join(tempDir(), "hoem");
    expectUsageError(await pulse(["query", "--project", FIXTURE, "--home", typo, "select 1"]), /no pulse home at .*hoem/);
    expectUsageError(await pulse(["ingest", "status", "--home", typo]), /--home .*hoem: no such directory/);
    expect(fs.existsSync(typo)).toBe(false);
  });

  it("PULSE_HOME is the default through the environment; an empty PULSE_HOME counts as unset", async () => {
    const typo = path.join(tempDir(), "from-env");
    const previous = process.env.PULSE_HOME;
    try {
      process.env.PULSE_HOME = typo;
      expect((await usageError(["ingest", "status", "--project", FIXTURE])).message).toMatch(/^PULSE_HOME .*from-env: no such directory/);
      process.env.PULSE_HOME = "";
      expect((await usageError(["ingest", "status", "--project", tempDir()])).message).toMatch(/^home .*\.pulse: no such directory/);
    } finally {
      if (previous === undefined) delete process.env.PULSE_HOME;
      else process.env.PULSE_HOME = previous;
    }
  });
});
