import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProject } from "../../runner/compile/compile.js";
import { matchActionPatterns, selectActions, type Selection } from "../../runner/select/select.js";
import { FIXTURE, parseRun, runFixture, tempDir } from "./helpers.js";

const graph = compileProject(FIXTURE, { vars: { pulse_warehouse: "duckdb" } }).graph;
const select = (selection: Selection) => [...selectActions(graph, selection)].map((name) => name.replace(/^fixture\./, "")).sort();

const USER_LATEST = ["checks.core_user_latest_assertions_rowConditions", "checks.core_user_latest_assertions_uniqueKey_0", "core.user_latest"];

describe("selection on the fixture graph", () => {
  it("--actions takes full names, schema.name, bare names and globs; built-in assertions follow their table", () => {
    expect(select({ actions: ["fixture.core.user_latest"] })).toEqual(USER_LATEST);
    expect(select({ actions: ["core.user_latest"] })).toEqual(USER_LATEST);
    expect(select({ actions: ["user_latest"] })).toEqual(USER_LATEST);
    expect(select({ actions: ["core.schema_*", "events"] })).toEqual(["core.schema_extend", "core.schema_fail", "core.schema_ignore", "core.schema_synchronize", "raw.events"]);
    expect(select({ actions: ["fixture.*.after_gate*"] })).toEqual(["core.after_gate", "core.after_gate_view"]);
    expect(select({ actions: ["gate"] })).toEqual(["checks.gate"]);
  });

  it("--tags is a union, --tags-all an intersection, and both combine", () => {
    expect(select({ tags: ["daily", "append"] })).toEqual(["checks.core_events_append_assertions_rowConditions", "core.big_spenders", "core.events_append", "core.user_names"]);
    expect(select({ tagsAll: ["core", "merge"] })).toEqual([...USER_LATEST.slice(0, 2), "core.big_spenders", "core.user_latest"]);
    expect(select({ tags: ["checks"], tagsAll: ["gated"] })).toEqual(["checks.gate"]);
    // --actions and --tags add up, as in dataform run.
    expect(select({ actions: ["events"], tags: ["ops"] })).toEqual(["core.note_run", "raw.events"]);
  });

  it("--include-deps adds every transitive dependency, --include-dependents every dependent", () => {
    expect(select({ actions: ["big_spenders"], includeDependencies: true })).toEqual([
      ...USER_LATEST.slice(0, 2),
      "core.audit",
      "core.big_spenders",
      "core.user_latest",
      "core.user_names",
      "raw.events",
    ]);
    expect(select({ actions: ["gate"], includeDependents: true })).toEqual(["checks.gate", "core.after_gate", "core.after_gate_view"]);
    expect(select({ actions: ["user_latest"], includeDependents: true })).toEqual([
      ...USER_LATEST.slice(0, 2),
      "checks.gate",
      "core.after_gate",
      "core.after_gate_view",
      "core.big_spenders",
      "core.user_latest",
      "core.user_names",
    ]);
    expect(select({ tags: ["gated"], includeDependencies: true, includeDependents: true })).toContain("raw.events");
  });

  it("selects everything without flags", () => {
    expect(select({})).toHaveLength(20);
  });

  it("rejects names that match nothing or more than one action", () => {
    const names = ["p.a.orders", "p.b.orders", "p.a.items"];
    expect(() => matchActionPatterns(["orders"], names)).toThrow(/'orders' is ambiguous; it matches p\.a\.orders, p\.b\.orders/);
    expect(() => matchActionPatterns(["a.nope"], names)).toThrow(/no action matches 'a\.nope'/);
    expect(() => matchActionPatterns(["c.*"], names)).toThrow(/no action matches 'c\.\*'/);
    expect(new Set(matchActionPatterns(["b.orders", "a.*", "p.a.items"], names))).toEqual(new Set(["p.b.orders", "p.a.orders", "p.a.items"]));
    expect(matchActionPatterns(["*ems", "?.orders"], names)).toEqual(["p.a.items", "p.a.orders", "p.b.orders"]);
  });
});

describe("selection flags through the CLI", () => {
  it("pass --actions, --tags-all, --include-deps and --include-dependents through to the run", async () => {
    const home = path.join(tempDir(), "home");
    const names = async (...flags: string[]) => {
      const result = await runFixture(home, "--dry-run", "--json", ...flags);
      expect(result.code, result.stderr).toBe(0);
      return parseRun(result)
        .actions.map((a) => a.name.replace(/^fixture\./, ""))
        .sort();
    };
    expect(await names("--actions", "core.big_spenders", "--include-deps")).toEqual(select({ actions: ["core.big_spenders"], includeDependencies: true }));
    expect(await names("--tags", "checks", "--tags-all", "gated", "--include-dependents")).toEqual(["checks.gate", "core.after_gate", "core.after_gate_view"]);
  });
});
