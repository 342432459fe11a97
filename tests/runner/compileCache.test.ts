import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileFor } from "../../runner/runProject.js";
import { FIXTURE, tempDir } from "./helpers.js";

describe("compile reuse in long-running loops", () => {
  it("reuses the graph while the project is unchanged and recompiles when a source file or var changes", () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    const first = compileFor("duckdb", project, {});
    expect(compileFor("duckdb", project, {})).toBe(first);
    expect(compileFor("duckdb", project, { batch: "2" })).not.toBe(first);

    const definition = path.join(project, "definitions", "added_for_cache_test.sqlx");
    fs.writeFileSync(definition, 'config { type: "view" }\nselect 1 as x\n');
    const changed = compileFor("duckdb", project, {});
    expect(changed).not.toBe(first);
    expect((changed.tables ?? []).some((t) => t.target.name === "added_for_cache_test")).toBe(true);
  });
});
