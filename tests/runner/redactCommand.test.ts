import { describe, expect, it } from "vitest";
import { redactCommandLine } from "../../runner/history/redactCommand.js";
import { FIXTURE, homeAfterFirstRun, pulse, query, runFixture } from "./helpers.js";

describe("stored command lines", () => {
  it("keep var names and flags but not var values, secret flags or URL passwords", () => {
    expect(redactCommandLine("pulse run --vars api_key=s3cret,batch=7 --tags raw")).toBe("pulse run --vars api_key=***,batch=*** --tags raw");
    expect(redactCommandLine("pulse run --vars=a=b c --json")).toBe("pulse run --vars=a=*** --json");
    expect(redactCommandLine("pulse stream --sasl-password hunter2 --brokers kafka://u:pw@host:9092")).toBe("pulse stream --sasl-password *** --brokers kafka://u:***@host:9092");
  });

  it("a run records its --vars values nowhere in pulse_meta.runs", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    const result = await runFixture(home, "--tags", "raw", "--vars", "warehouse_password=hunter2,batch=7");
    expect(result.code).toBe(0);
    const [row] = await query(home, "select command from pulse_meta.runs order by started_at desc limit 1");
    expect(row!.command).toContain("--vars warehouse_password=***,batch=***");
    expect(String(row!.command)).not.toContain("hunter2");
  });

  it("redacts the command lines an older pulse stored", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    const seeded = await pulse(["query", "--project", FIXTURE, "--home", home, "--write", "update pulse_meta.runs set command = 'pulse run --vars api_token=hunter2'"]);
    expect(seeded.code).toBe(0);
    expect((await runFixture(home, "--tags", "raw")).code).toBe(0);
    const commands = (await query(home, "select command from pulse_meta.runs order by started_at")).map((r) => r.command);
    expect(commands[0]).toBe("pulse run --vars api_token=***");
  });
});
