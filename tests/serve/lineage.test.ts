import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileFor } from "../../runner/runProject.js";
import { catalog } from "../../serve/catalog.js";
import { columnLineage, upstreamColumns } from "../../serve/lineage/columnLineage.js";
import { PROJECT, pulse, tempDir } from "./serveHarness.js";

describe("column lineage from the compiled SQL", () => {
  const entries = catalog(compileFor("duckdb", PROJECT, {}));
  const lineage = columnLineage(entries);

  it("traces gold.workout_bpm_summary.avg_bpm to the bpm topic's heartrate in bronze.kafka_multiplex", () => {
    const upstream = upstreamColumns(lineage, "pulse.gold.workout_bpm_summary", "avg_bpm");
    expect(upstream.map((u) => `${u.table}.${u.column}`)).toEqual(["pulse.silver.workout_bpm.heartrate", "pulse.silver.heart_rate.heartrate", "pulse.bronze.kafka_multiplex.value"]);
    expect(upstream[2]).toMatchObject({ jsonPath: "$.heartrate", filters: ["topic = 'bpm'"], subtype: "TRANSFORMATION" });
  });

  it("resolves SELECT * through the columns of what it selects (silver.user_profile) down to the user_info topic", () => {
    const upstream = upstreamColumns(lineage, "pulse.gold.workout_bpm_summary", "age");
    expect(upstream.at(-1)).toMatchObject({ table: "pulse.bronze.kafka_multiplex", column: "value", jsonPath: "$.dob", filters: ["topic = 'user_info'"] });
  });

  it("gives every silver and gold column its inputs, or none only where the column is computed from no column", () => {
    const withoutInputs: string[] = [];
    for (const entry of entries.filter((e) => (e.layer === "silver" || e.layer === "gold") && e.kind !== "assertion")) {
      const table = lineage[entry.name];
      expect(table, entry.name).toBeDefined();
      expect(Object.keys(table!.columns).length, entry.name).toBeGreaterThan(0);
      for (const [column, inputs] of Object.entries(table!.columns)) if (inputs.length === 0) withoutInputs.push(`${entry.shortName}.${column}`);
    }
    // Constants (a full build's _merged_since and _replaced_*) and the calendar (generate_series), and COUNT(*): nothing upstream to name.
    expect(withoutInputs.filter((c) => !c.startsWith("silver.date_lookup.")).sort()).toEqual([
      "gold.workout_bpm_summary.num_recordings",
      "silver.heart_rate._merged_since",
      "silver.heart_rate._replaced",
      "silver.workout_bpm._merged_since",
      "silver.workout_bpm._replaced_row",
    ]);
  });

  it("exports OpenLineage job events with the columnLineage facet (pulse lineage --format openlineage)", () => {
    const result = pulse(["lineage", "--format", "openlineage"], { home: tempDir("pulse-lineage-") });
    expect(result.status).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { job: { name: string }; outputs: { name: string; facets: { columnLineage: { fields: Record<string, { inputFields: { name: string; field: string }[] }> } } }[] },
      );
    const summary = events.find((e) => e.job.name === "pulse.gold.workout_bpm_summary")!;
    expect(summary.outputs[0]!.facets.columnLineage.fields.avg_bpm!.inputFields).toEqual([expect.objectContaining({ name: "pulse.silver.workout_bpm", field: "heartrate" })]);
    expect(events.map((e) => e.job.name)).toContain("pulse.silver.heart_rate");
    // SELECT * expanded with the columns of what it selects.
    const profile = events.find((e) => e.job.name === "pulse.silver.user_profile")!;
    expect(profile.outputs[0]!.facets.columnLineage.fields.dob!.inputFields).toEqual([expect.objectContaining({ name: "pulse.silver.user_profile_latest", field: "dob" })]);
  });

  it("writes the docs and the DAG as a static site (pulse docs build)", () => {
    const out = path.join(tempDir("pulse-docs-"), "site");
    const result = pulse(["docs", "build", "--out", out], { home: tempDir("pulse-docs-home-") });
    expect(result.status, result.stderr).toBe(0);
    const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
    expect(index).toContain('data-action="pulse.silver.heart_rate"');
    expect(index).toContain('href="tables/silver.heart_rate.html"');
    const table = fs.readFileSync(path.join(out, "tables", "gold.workout_bpm_summary.html"), "utf8");
    expect(table).toContain('data-upstream="bronze.kafka_multiplex.value"');
    expect(fs.existsSync(path.join(out, "assets", "plot.umd.min.js"))).toBe(true);
    // Nothing in the site points off the machine.
    for (const file of [index, table]) expect(file).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
