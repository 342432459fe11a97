import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runPulse } from "../../cli/program.js";
import { UserError } from "../../lib/errors.js";
import { countRows, landReference, tempHome } from "./landingTestHome.js";

describe("pulse ingest --source landing", () => {
  afterEach(() => vi.restoreAllMocks());

  it("loads the landing zone once and prints progress and a summary", async () => {
    // The CLI keeps the default environment's state in <--home>/dev.
    const root = await tempHome();
    const home = path.join(root, "dev");
    await landReference(home, "registered_users", "test_data/1-registered_users_1.csv");
    const stdout = vi.spyOn(process.stdout, "write").mockReturnValue(true);
    const stderr = vi.spyOn(process.stderr, "write").mockReturnValue(true);
    expect(await runPulse(["ingest", "--source", "landing", "--once", "--home", root])).toBe(0);
    expect(await countRows(home, "registered_users")).toBe(5);
    const summary = stdout.mock.calls.map((c) => String(c[0])).join("");
    expect(summary).toContain("landing load: 1 loaded, 0 already loaded");
    expect(summary).toContain("bronze.registered_users 5");
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("landing: 1 file(s) in the landing zone, 1 not loaded before");
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("[1/1] registered_users/1-registered_users_1.csv: 5 rows");

    // Progress counts the files this load takes on, not every file in the zone.
    await landReference(home, "registered_users", "test_data/1-registered_users_2.csv");
    stderr.mockClear();
    expect(await runPulse(["ingest", "--source", "landing", "--once", "--home", root])).toBe(0);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("landing: 2 file(s) in the landing zone, 1 not loaded before");
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("[1/1] registered_users/1-registered_users_2.csv");
    expect(await runPulse(["ingest", "--source", "landing", "--once", "--home", root])).toBe(0);
    expect(stdout.mock.calls.map((c) => String(c[0])).join("")).toContain("landing load: 0 loaded, 2 already loaded");
  });

  it("needs --once and a known source", async () => {
    const home = await tempHome();
    await expect(runPulse(["ingest", "--source", "landing", "--home", home])).rejects.toThrow(UserError);
    await expect(runPulse(["ingest", "--source", "landing", "--home", home])).rejects.toThrow(/needs --once/);
    await expect(runPulse(["ingest", "--source", "ftp", "--once", "--home", home])).rejects.toThrow(/--source <source>' argument 'ftp' is invalid\. Allowed choices are landing, kafka, pubsub/);
  });
});
