import { beforeAll, describe, expect, it } from "vitest";
import { actionName, officialCompile, type OfficialGraph } from "./officialCompile.js";

// The tables and their keys are the product contract (pulse-brief §4); silver.user_profile_latest is
// pulse's CDC state behind silver.user_profile.
const CONTRACT_TABLES: Record<string, { type: string; uniqueKey?: string[] }> = {
  "silver.users": { type: "table" },
  "silver.gym_logs": { type: "table" },
  "silver.user_profile_latest": { type: "incremental", uniqueKey: ["user_id"] },
  "silver.user_profile": { type: "table" },
  "silver.workouts": { type: "incremental", uniqueKey: ["user_id", "workout_id", "session_id", "action"] },
  "silver.heart_rate": { type: "incremental", uniqueKey: ["device_id", "time"] },
  "silver.completed_workouts": { type: "table" },
  "silver.workout_bpm": { type: "incremental", uniqueKey: ["user_id", "workout_id", "session_id", "time"] },
  "silver.user_bins": { type: "table" },
  "silver.date_lookup": { type: "table" },
  "gold.workout_bpm_summary": { type: "incremental", uniqueKey: ["user_id", "workout_id", "session_id"] },
  "gold.gym_summary": { type: "view" },
};

describe("the Dataform project under the official CLI", () => {
  let graph: OfficialGraph;
  beforeAll(async () => {
    graph = await officialCompile();
  });

  it("compiles offline with no errors", () => {
    expect(graph.graphErrors?.compilationErrors ?? []).toEqual([]);
  });

  it("defines every contract table with its type, key and layer tag", () => {
    const tables = new Map((graph.tables ?? []).map((t) => [actionName(t), t]));
    expect([...tables.keys()].sort()).toEqual(Object.keys(CONTRACT_TABLES).sort());
    for (const [name, want] of Object.entries(CONTRACT_TABLES)) {
      const t = tables.get(name)!;
      expect(t.type, name).toBe(want.type);
      if (want.uniqueKey) expect(t.uniqueKey, name).toEqual(want.uniqueKey);
      expect(t.tags, name).toEqual([name.split(".")[0]]);
    }
  });

  it("declares the four bronze tables, tagged bronze", () => {
    const declared = (graph.declarations ?? []).map((d) => [actionName(d), d.tags]);
    expect(declared.sort()).toEqual(["bronze.dead_letters", "bronze.gym_logins", "bronze.kafka_multiplex", "bronze.registered_users"].map((n) => [n, ["bronze"]]));
  });

  it("asserts a unique key on every table, and tags every silver check so `--tags silver` runs it", () => {
    const assertions = graph.assertions ?? [];
    for (const name of Object.keys(CONTRACT_TABLES).filter((n) => n !== "gold.gym_summary")) {
      const prefix = `${name.replace(".", "_")}_assertions_uniqueKey`;
      // Big incremental tables check their latest write with an SQLX assertion `<table>_unique_key` instead.
      const [schema, table] = name.split(".");
      const own = (a: (typeof assertions)[number]) => a.target.name === `${table}_unique_key` && (a.dependencyTargets ?? []).some((d) => d.schema === schema && d.name === table);
      expect(
        assertions.some((a) => a.target.name.startsWith(prefix) || own(a)),
        name,
      ).toBe(true);
    }
    for (const a of assertions.filter((x) => !x.target.name.startsWith("gold_"))) expect(a.tags, a.target.name).toContain("silver");
  });

  it("keeps BigQuery SQL free of DuckDB-only syntax (dialect differences live in includes/)", () => {
    const sql = [...(graph.tables ?? []), ...(graph.assertions ?? [])]
      .flatMap((a) => [a.query, a.incrementalQuery, ...(a.preOps ?? []), ...(a.incrementalPreOps ?? [])])
      .filter((s): s is string => typeof s === "string")
      .join("\n");
    for (const duckOnly of ["TRY_CAST", "json_extract_string", "try_strptime", "make_timestamp", "generate_series", "DOUBLE", "VARCHAR", '"offset"']) {
      expect(sql, duckOnly).not.toContain(duckOnly);
    }
  });
});
