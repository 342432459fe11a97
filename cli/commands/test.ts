import { z } from "zod";
import { commaList, parseCommandArgs, parseVars } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { compileFor } from "../../runner/runProject.js";
import { runUnitTests } from "../../runner/unitTest/runUnitTests.js";

const USAGE = `usage: pulse test [--actions name,...] [--vars k=v,...] [--json]

Runs the project's Dataform unit tests (type: "test" with input blocks) on an in-memory DuckDB and
compares actual and expected rows ignoring order. Non-zero exit if any test fails.`;

const Flags = z.object({
  actions: z.string().optional(),
  vars: z.string().optional(),
  json: z.boolean().default(false),
  help: z.boolean().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const { flags, projectDir } = parseCommandArgs("test", argv, { actions: { type: "string" }, vars: { type: "string" }, json: { type: "boolean" } }, Flags);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const graph = compileFor("duckdb", projectDir, parseVars(flags.vars));
  const wanted = commaList(flags.actions);
  const known = new Set((graph.tests ?? []).map((t) => t.name));
  for (const name of wanted) if (!known.has(name)) throw new UserError(`--actions: no unit test named '${name}'. Tests: ${[...known].join(", ") || "(none)"}`);
  const results = await runUnitTests(graph, (test) => wanted.length === 0 || wanted.includes(test.name));
  const failed = results.filter((r) => !r.passed);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const result of results) {
      process.stdout.write(`${result.passed ? "PASS" : "FAIL"} ${result.name}${result.fileName ? ` (${result.fileName})` : ""}\n`);
      for (const message of result.messages) process.stdout.write(`${message.replace(/^/gm, "    ")}\n`);
    }
    process.stdout.write(`${results.length - failed.length} of ${results.length} unit test(s) passed${failed.length ? `; ${failed.length} FAILED` : ""}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}
