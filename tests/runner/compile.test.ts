import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE, REPO, pulse, tempDir } from "./helpers.js";

const execFileAsync = promisify(execFile);

/**
 * The official CLI needs the project's own node_modules/@dataform/core (it refuses one reached through a
 * symlink outside the project) and a package.json, so it compiles a copy that has both.
 */
function projectForOfficialCli(): string {
  const project = path.join(tempDir(), "project");
  fs.cpSync(FIXTURE, project, { recursive: true });
  const corePackage = path.join(REPO, "node_modules", "@dataform", "core");
  const version = (JSON.parse(fs.readFileSync(path.join(corePackage, "package.json"), "utf8")) as { version: string }).version;
  fs.cpSync(corePackage, path.join(project, "node_modules", "@dataform", "core"), { recursive: true });
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "runner-fixture", private: true, dependencies: { "@dataform/core": version } }));
  return project;
}

function withoutStacks(graph: { graphErrors?: { compilationErrors?: { stack?: string }[] } }): unknown {
  for (const error of graph.graphErrors?.compilationErrors ?? []) delete error.stack;
  return graph;
}

describe("pulse compile --json", () => {
  it.each([[[] as string[]], [["--vars", "shape=v3,dedupe=off,batch=7"]]])(
    "prints the same graph as npx dataform compile --json on the fixture %j",
    async (extra) => {
      const project = projectForOfficialCli();
      const official = await execFileAsync(path.join(REPO, "node_modules", ".bin", "dataform"), ["compile", project, "--json", ...extra], { cwd: REPO, maxBuffer: 64 << 20 });
      const ours = await pulse(["compile", "--project", project, "--json", ...extra]);
      expect(ours.code, ours.stderr).toBe(0);
      const expected = withoutStacks(JSON.parse(official.stdout));
      expect(withoutStacks(JSON.parse(ours.stdout))).toEqual(expected);
      // Sanity: the fixture really has every action type the runner handles.
      const graph = expected as { tables: { enumType: string }[]; operations: unknown[]; assertions: unknown[]; declarations: unknown[] };
      expect(new Set(graph.tables.map((t) => t.enumType))).toEqual(new Set(["TABLE", "VIEW", "INCREMENTAL"]));
      expect([graph.operations.length, graph.assertions.length, graph.declarations.length]).toEqual([3, 5, 1]);
    },
    30_000,
  );

  it("prints the same graph as the official CLI on this repository's own project", async () => {
    const official = await execFileAsync(path.join(REPO, "node_modules", ".bin", "dataform"), ["compile", REPO, "--json"], { cwd: REPO, maxBuffer: 64 << 20 });
    const ours = await pulse(["compile", "--project", REPO, "--json"]);
    expect(ours.code, ours.stderr).toBe(0);
    expect(withoutStacks(JSON.parse(ours.stdout))).toEqual(withoutStacks(JSON.parse(official.stdout)));
  }, 30_000);

  it("agrees with the official CLI on a compilation error", async () => {
    const project = projectForOfficialCli();
    fs.writeFileSync(path.join(project, "definitions", "core", "broken.sqlx"), 'config { type: "table" }\nSELECT ${ref("does_not_exist")}\n');
    const official = await execFileAsync(path.join(REPO, "node_modules", ".bin", "dataform"), ["compile", project, "--json"], { cwd: REPO, maxBuffer: 64 << 20 }).catch(
      (error: { stdout: string }) => error,
    );
    const ours = await pulse(["compile", "--project", project, "--json"]);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toMatch(/definitions\/core\/broken\.sqlx: .*does_not_exist/);
    // The one deliberate difference: the official CLI attributes an unresolved ref to "index.js", pulse to the file.
    const expected = withoutStacks(JSON.parse(official.stdout)) as { graphErrors: { compilationErrors: { fileName?: string }[] } };
    const actual = withoutStacks(JSON.parse(ours.stdout)) as typeof expected;
    expect(expected.graphErrors.compilationErrors[0]?.fileName).toBe("index.js");
    expect(actual.graphErrors.compilationErrors[0]?.fileName).toBe("definitions/core/broken.sqlx");
    expected.graphErrors.compilationErrors[0]!.fileName = "definitions/core/broken.sqlx";
    expect(actual).toEqual(expected);
  }, 30_000);
});
