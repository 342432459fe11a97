import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runPulse } from "../../cli/program.js";
import { UserError } from "../../lib/errors.js";
import { REFERENCE } from "../referenceData.js";

function captureStdout(): () => string {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return () => chunks.join("");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("pulse produce", () => {
  it("replays an iteration into the landing zone and lists the files", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "pulse-cli-"));
    const output = captureStdout();
    expect(await runPulse(["produce", "--to", "landing", "--from", REFERENCE, "--iteration", "2", "--home", home])).toBe(0);
    expect(output()).toContain("replayed iteration 2: 5 files");
    expect(readdirSync(path.join(home, "dev", "landing", "kafka_multiplex")).sort()).toEqual(["2-user_info_2.json", "3-bpm_2.json.gz", "4-workout_2.json"]);
  });

  it("generates a synthetic fleet and summarises records per feed", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "pulse-cli-"));
    const output = captureStdout();
    expect(await runPulse(["produce", "--to", "landing", "--synthetic", "--users", "3", "--days", "1", "--seed", "9", "--start", "2024-02-29", "--batches", "2", "--home", home])).toBe(0);
    expect(output()).toMatch(/generated [\d,]+ records in \d+ files .*: registered_users \d+, user_info \d+, bpm [\d,]+, workout \d+, gym_logins \d+/);
    expect(readdirSync(path.join(home, "dev", "landing", "registered_users"))[0]).toMatch(/-seed9-b001-1-registered_users\.csv$/);
  });

  it.each([
    [["--from", REFERENCE, "--iteration", "1"], /--to is required/],
    [["--to", "landing", "--iteration", "1"], /--from DIR is required/],
    [["--to", "landing", "--from", REFERENCE], /--iteration N is required/],
    [["--to", "landing", "--synthetic", "--users", "3", "--days", "1"], /--seed S is required/],
    [["--to", "landing", "--synthetic", "--users", "0", "--days", "1", "--seed", "1"], /--users/],
    [["--to", "landing", "--synthetic", "--users", "1", "--days", "1", "--seed", "1", "--start", "2023-02-30"], /--start <date>' argument '2023-02-30' is invalid\. not a calendar date/],
    [["--to", "landing", "--synthetic", "--users", "1", "--days", "1", "--seed", "1", "--iteration", "1"], /--iteration cannot be combined with --synthetic/],
    [["--to", "landing", "--from", REFERENCE, "--iteration", "1", "--seed", "1"], /--seed cannot be combined with --from/],
    [["--to", "kinesis"], /--to/],
    [["--to", "landing", "--from", REFERENCE, "--iteration", "1", "--rate", "5"], /--rate cannot be combined with --to landing/],
    [["--to", "kafka", "--from", REFERENCE, "--iteration", "1", "--gzip"], /--gzip cannot be combined with --to kafka/],
    [["--to", "kafka", "--synthetic", "--users", "1", "--days", "1"], /--seed S is required/],
    [["--to", "pubsub", "--from", REFERENCE, "--iteration", "1", "--gzip"], /--gzip cannot be combined with --to pubsub/],
    [["--to", "pubsub", "--from", REFERENCE, "--iteration", "1", "--timestamps", "send"], /--timestamps cannot be combined with --to pubsub/],
    [["--to", "landing", "--from", REFERENCE, "--iteration", "1", "--timestamps", "send"], /--timestamps cannot be combined with --to landing/],
    [["--to", "kafka", "--from", REFERENCE, "--iteration", "1", "--timestamps", "now"], /--timestamps <kind>' argument 'now' is invalid\. Allowed choices are event, send/],
  ])("refuses %j", async (argv, message) => {
    const error = await runPulse(["produce", ...argv, "--home", mkdtempSync(path.join(tmpdir(), "pulse-cli-"))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
  });
});
