import { DuckDbAdapter } from "../adapters/duckdb/duckdbAdapter.js";
import { NameTranslator, graphTargets } from "../adapters/duckdb/names.js";
import type { CompiledGraph, CompiledTest } from "../compile/graph.js";
import { compareRows } from "./compareRows.js";

export interface UnitTestResult {
  name: string;
  fileName?: string;
  passed: boolean;
  messages: string[];
  seconds: number;
}

/**
 * Runs the graph's `type: "test"` actions on a throwaway in-memory DuckDB: each test's query (the
 * dataset's SQL with its inputs inlined) against its expected query. Nothing touches the warehouse.
 */
export async function runUnitTests(graph: CompiledGraph, filter: (test: CompiledTest) => boolean = () => true): Promise<UnitTestResult[]> {
  const adapter = await DuckDbAdapter.open({
    path: ":memory:",
    database: graph.projectConfig.defaultDatabase || "pulse",
    translator: new NameTranslator(graphTargets(graph)),
    connections: 1,
  });
  try {
    const results: UnitTestResult[] = [];
    for (const test of (graph.tests ?? []).filter(filter)) {
      const started = performance.now();
      const result = await adapter.withSession(async (session) => {
        if (test.inputError) return { passed: false, messages: [`error: ${test.inputError}`] };
        try {
          const actualSql = adapter.translation.names(test.testQuery ?? "");
          const expectedSql = adapter.translation.names(test.expectedOutputQuery ?? "");
          const [actualColumns, expectedColumns] = [await session.describeQuery(actualSql), await session.describeQuery(expectedSql)];
          const actual = await session.query(actualSql);
          const expected = await session.query(expectedSql);
          return compareRows(
            actual,
            expected,
            actualColumns.map((c) => c.name),
            expectedColumns.map((c) => c.name),
          );
        } catch (error) {
          return { passed: false, messages: [`error: ${(error as Error).message}`] };
        }
      });
      results.push({ name: test.name, fileName: test.fileName, ...result, seconds: (performance.now() - started) / 1000 });
    }
    return results;
  } finally {
    await adapter.close();
  }
}
