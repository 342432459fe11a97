import { UserError } from "../../lib/errors.js";
import { environmentVars } from "../../environments/environments.js";
import { graphHash } from "../../runner/compile/graphHash.js";
import { recordUnitTests } from "../../runner/history/unitTestResults.js";
import { compileFor } from "../../runner/runProject.js";
import { runUnitTests } from "../../runner/unitTest/runUnitTests.js";
import { envOf, homeOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { nonEmptyList, varsFlag } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      `Runs the project's Dataform unit tests (type: "test" with input blocks) on an in-memory DuckDB and ` +
        "compares actual and expected rows ignoring order. Non-zero exit if any test fails. A run of every test is recorded with the graph's hash in the environment's home, for pulse promote.",
    )
    .option("--actions <name,...>", "only these unit tests", nonEmptyList)
    .option("--vars <k=v,...>", "project variables, as dataform test --vars", varsFlag)
    .option("--json", "print the results as JSON", false)
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const graph = compileFor("duckdb", projectDir, environmentVars(envOf(self, projectDir), flags.vars));
      const wanted = flags.actions ?? [];
      const known = new Set((graph.tests ?? []).map((t) => t.name));
      for (const name of wanted) if (!known.has(name)) throw new UserError(`--actions: no unit test named '${name}'. Tests: ${[...known].join(", ") || "(none)"}`);
      const results = await runUnitTests(graph, (test) => wanted.length === 0 || wanted.includes(test.name));
      const failed = results.filter((r) => !r.passed);
      // Only a run of every test says the graph passed its tests.
      if (wanted.length === 0) await recordUnitTests(homeOf(self, projectDir), { at: new Date().toISOString(), graphHash: graphHash(graph), tests: results.length, failed: failed.map((r) => r.name) });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } else {
        for (const result of results) {
          process.stdout.write(`${result.passed ? "PASS" : "FAIL"} ${result.name}${result.fileName ? ` (${result.fileName})` : ""}\n`);
          for (const message of result.messages) process.stdout.write(`${message.replace(/^/gm, "    ")}\n`);
        }
        process.stdout.write(`${results.length - failed.length} of ${results.length} unit test(s) passed${failed.length ? `; ${failed.length} FAILED` : ""}\n`);
      }
      exit(failed.length > 0 ? 1 : 0);
    });
