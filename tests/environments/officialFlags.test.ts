import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { officialCompile, projectRoot, type OfficialGraph } from "../project/officialCompile.js";

const CLI = path.join(projectRoot, "dist", "cli", "main.js");
const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function pulse(projectDir: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args, "--project", projectDir], { encoding: "utf8", env: { ...process.env, PULSE_ENV: "", PULSE_HOME: "" }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`pulse ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Every action's full target, by kind: what `dataform run` would create or read. */
function targets(graph: OfficialGraph): string[] {
  const kinds = { tables: graph.tables, assertions: graph.assertions, operations: graph.operations, declarations: graph.declarations };
  return Object.entries(kinds)
    .flatMap(([kind, actions]) => (actions ?? []).map((a) => `${kind} ${a.target.database}.${a.target.schema}.${a.target.name}`))
    .sort();
}

/** `pulse env show NAME`'s official flags given to `dataform compile`, against `pulse compile --env NAME --json`. */
async function compare(projectDir: string, env: string): Promise<{ flags: string[]; official: OfficialGraph; ours: OfficialGraph }> {
  const shown = JSON.parse(pulse(projectDir, "env", "show", env, "--json")) as { dataformFlags: string[] };
  const [official, ours] = await Promise.all([officialCompile(shown.dataformFlags, projectDir), Promise.resolve(JSON.parse(pulse(projectDir, "compile", "--env", env, "--json")) as OfficialGraph)]);
  return { flags: shown.dataformFlags, official, ours };
}

describe("pulse env show's dataform flags, given to the official CLI", () => {
  it("compile to the same targets as pulse for every environment of the project", async () => {
    const results = await Promise.all(["dev", "qa", "prod"].map((env) => compare(projectRoot, env)));
    const [dev, qa, prod] = results;
    expect(dev!.flags).toEqual([]);
    expect(qa!.flags).toEqual(["--schema-suffix=qa"]);
    expect(prod!.flags).toEqual(["--default-database=pulse-prod"]);
    for (const { official, ours } of results) {
      expect(official.graphErrors?.compilationErrors ?? []).toEqual([]);
      expect(targets(ours)).toEqual(targets(official));
      expect(ours.projectConfig).toEqual(official.projectConfig);
    }
    expect(targets(qa!.ours)).toContain("tables pulse.silver_qa.users");
    expect(targets(prod!.ours)).toContain("tables pulse-prod.gold.gym_summary");
    // Declared sources keep their dataset: bronze is the ingest's, whatever the environment.
    expect(targets(qa!.ours)).toContain("declarations pulse.bronze.kafka_multiplex");
  });

  it("with a table prefix and vars too (an environment declared in a project's own environments.yaml)", async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-env-project-"));
    made.push(project);
    for (const entry of ["workflow_settings.yaml", "definitions", "includes", "package.json", "package-lock.json"])
      fs.cpSync(path.join(projectRoot, entry), path.join(project, entry), { recursive: true });
    // A copy, not a link: the official CLI's sandbox loads @dataform/core only from inside the project.
    fs.cpSync(path.join(projectRoot, "node_modules", "@dataform", "core"), path.join(project, "node_modules", "@dataform", "core"), { recursive: true });
    fs.writeFileSync(
      path.join(project, "environments.yaml"),
      "environments:\n  dev:\n    developerWrites: true\n  sandbox:\n    bigquery:\n      defaultDatabase: pulse-sandbox\n      schemaSuffix: sb\n      tablePrefix: t\n    vars:\n      watermark_seconds: '45'\n      as_of_date: '2024-06-30'\n    developerWrites: true\n",
    );
    const { flags, official, ours } = await compare(project, "sandbox");
    expect(flags).toEqual(["--default-database=pulse-sandbox", "--schema-suffix=sb", "--table-prefix=t", "--vars=watermark_seconds=45,as_of_date=2024-06-30"]);
    expect(official.graphErrors?.compilationErrors ?? []).toEqual([]);
    expect(targets(ours)).toEqual(targets(official));
    expect(targets(ours)).toContain("tables pulse-sandbox.gold_sb.t_workout_bpm_summary");
    expect(ours.projectConfig).toEqual(official.projectConfig);
    expect(ours.projectConfig?.vars).toMatchObject({ watermark_seconds: "45", as_of_date: "2024-06-30" });
    // The vars reach the SQL the same way.
    const sql = (g: OfficialGraph) => (g.tables ?? []).map((t) => `${t.target.name}:${t.query}`).sort();
    expect(sql(ours)).toEqual(sql(official));
  });
});
