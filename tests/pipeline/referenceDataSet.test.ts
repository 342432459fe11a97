import { describe, expect, it } from "vitest";
import { AS_OF_DATE, EXPECTED_AFTER_SET_1, EXPECTED_AFTER_SET_2 } from "./expected-reference.js";
import { REFERENCE, tempHome } from "./pipelineHarness.js";
import { pulseCli as pulse, referenceDifferences } from "./referenceChecks.js";

describe("the reference data set, landed as set 1 then set 2 with a run after each (the reference's batch test)", () => {
  it("gives the brief's bronze, silver and gold results, value by value, through the CLI", () => {
    const home = tempHome();
    const vars = `as_of_date=${AS_OF_DATE}`;
    pulse(home, "produce", "--to", "landing", "--from", REFERENCE, "--iteration", "1");
    pulse(home, "ingest", "--source", "landing", "--once");
    pulse(home, "run", "--vars", vars);
    expect(referenceDifferences(home, EXPECTED_AFTER_SET_1)).toBeUndefined();

    pulse(home, "produce", "--to", "landing", "--from", REFERENCE, "--iteration", "2");
    pulse(home, "ingest", "--source", "landing", "--once");
    const run = JSON.parse(pulse(home, "run", "--vars", vars, "--json")) as { actions: { name: string; mode?: string }[] };
    expect(run.actions.find((a) => a.name === "pulse.silver.heart_rate")?.mode).toBe("incremental");
    expect(referenceDifferences(home, EXPECTED_AFTER_SET_2)).toBeUndefined();

    // CI's assertion job: the silver tag alone, all green.
    const silver = JSON.parse(pulse(home, "run", "--tags", "silver", "--vars", vars, "--json")) as { actions: { type: string; status: string }[] };
    expect(silver.actions.filter((a) => a.type === "assertion").length).toBeGreaterThan(10);
    expect(silver.actions.every((a) => a.status === "success")).toBe(true);
  });
});
