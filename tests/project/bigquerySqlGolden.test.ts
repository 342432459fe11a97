import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { actionName, officialCompile, type CompiledAction } from "./officialCompile.js";

// Pins the BigQuery SQL every action renders under the official CLI, so any change to what runs in
// production shows up in review as a diff of this file. Rewrite it with UPDATE_GOLDEN=1.
const goldenPath = fileURLToPath(new URL("./__golden__/bigquery-sql.json", import.meta.url));

function renderedSql(a: CompiledAction): Record<string, unknown> {
  const parts: Record<string, unknown> = {
    type: a.type ?? "assertion",
    query: a.query,
    incrementalQuery: a.incrementalQuery,
    preOps: a.preOps,
    postOps: a.postOps,
    incrementalPreOps: a.incrementalPreOps,
    incrementalPostOps: a.incrementalPostOps,
  };
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

it("BigQuery SQL of every action matches the golden file", async () => {
  const graph = await officialCompile();
  expect(graph.graphErrors?.compilationErrors ?? []).toEqual([]);
  const actions = [...(graph.tables ?? []), ...(graph.assertions ?? []), ...(graph.operations ?? [])];
  const rendered = Object.fromEntries(actions.map((a) => [actionName(a), renderedSql(a)]).sort(([x], [y]) => String(x).localeCompare(String(y))));
  const tests = Object.fromEntries(
    (graph.tests ?? []).map((t) => [t.name, { testQuery: t.testQuery, expectedOutputQuery: t.expectedOutputQuery }]).sort(([x], [y]) => String(x).localeCompare(String(y))),
  );
  const current = JSON.stringify({ actions: rendered, tests }, null, 2) + "\n";
  if (process.env.UPDATE_GOLDEN === "1") {
    await writeFile(goldenPath, current);
    return;
  }
  const golden = await readFile(goldenPath, "utf8").catch(() => {
    throw new Error(`${goldenPath} is missing: run UPDATE_GOLDEN=1 npx vitest run tests/project`);
  });
  expect(JSON.parse(current)).toEqual(JSON.parse(golden));
});
