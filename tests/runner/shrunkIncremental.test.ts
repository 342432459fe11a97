import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { FIXTURE, gatedRun, homeAfterFirstRun, parseRun, pulse, query, runFixture } from "./helpers.js";

describe("an incremental table that lost rows outside pulse", () => {
  it("is reported by the next run with the full refresh that repairs it, and that command repairs it", async () => {
    const home = await homeAfterFirstRun();
    const [{ n: built }] = (await query(home, "select count(*)::int as n from core.events_append")) as [{ n: number }];
    expect(built).toBeGreaterThan(1);
    const removed = await pulse(["query", "--project", FIXTURE, "--home", home, "--write", "delete from core.events_append where event_id % 2 = 0"]);
    expect(removed.code).toBe(0);
    const [{ n: left }] = (await query(home, "select count(*)::int as n from core.events_append")) as [{ n: number }];
    expect(left).toBeLessThan(built);

    const run = parseRun(await runFixture(home, "--json"));
    const reported = run.actions.find((a) => a.name === "fixture.core.events_append")!;
    expect(reported.status).toBe("failed");
    expect(reported.error).toContain(`fixture.core.events_append holds ${left} rows, ${built - left} fewer than the ${built} the last run left`);
    const repair = /Repair: npx pulse (.*)$/.exec(reported.error ?? "")?.[1];
    expect(repair).toContain("run --actions core.events_append --include-dependents --full-refresh");
    // Still reported by the run after: the count the table should have is kept until it is rebuilt.
    expect(parseRun(await runFixture(home, "--json")).actions.find((a) => a.name === "fixture.core.events_append")!.status).toBe("failed");

    const repaired = await pulse(repair!.split(" "));
    expect(repaired.code).toBe(0);
    expect(await query(home, "select count(*)::int as n from core.events_append")).toEqual([{ n: built }]);
    expect((await runFixture(home)).code).toBe(0);
  });

  it("raises no false alarm after a run killed between deleting rows and putting them back", async () => {
    const home = await homeAfterFirstRun();
    // What an incremental action's pre-operation does (delete the sessions it recomputes), then a kill before its merge.
    const run = gatedRun(home, "delete from fixture.core.events_append where event_id % 2 = 0; select content from read_text('GATE')");
    // The run has opened the gate, so its delete ran; it now waits for data that never comes.
    const gate = await run.reached();
    expect(gate).toBeDefined();
    run.child.kill("SIGKILL");
    await run.exited;
    fs.closeSync(gate!);
    const [{ n: left }] = (await query(home, "select count(*)::int as n from core.events_append")) as [{ n: number }];
    const [{ n: recorded }] = (await query(home, "select count(*)::int as n from pulse_meta.table_rows")) as [{ n: number }];
    expect(recorded).toBe(0);
    expect(left).toBeGreaterThan(0);
    const next = parseRun(await runFixture(home, "--json"));
    expect(next.actions.find((a) => a.name === "fixture.core.events_append")!.status).toBe("success");
  });
});
