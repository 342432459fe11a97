import path from "node:path";
import { parseArgs } from "node:util";
import { GLOBAL_OPTIONS, parseVars } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { compileProject } from "../../runner/compile/compile.js";
import { targetName } from "../../runner/compile/graph.js";

const USAGE = `usage: pulse compile [--json] [--vars k=v,...] [--warehouse bigquery|duckdb] [--check bigquery] [--project DIR]

Compiles the Dataform project in-process with @dataform/core. --json prints the compiled graph exactly as
'dataform compile --json' does. --warehouse duckdb renders the includes/ helpers for DuckDB (default: BigQuery).
--check bigquery analyses every statement a BigQuery run would send with Google's ZetaSQL analyzer (Java 17
and Maven; built once into ~/.cache/pulse) and exits 1 on any error, naming file, action and position.`;

const OPTIONS = { ...GLOBAL_OPTIONS, json: { type: "boolean" }, vars: { type: "string" }, warehouse: { type: "string" }, check: { type: "string" } } as const;

/**
 * Unlike the other commands, compile checks its few flags by hand rather than with zod: importing zod
 * takes ~80 ms, a third of a whole `pulse compile`, whose speed next to `dataform compile` is a goal.
 */
function parseFlags(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UserError(`compile: ${(error as Error).message}`);
  }
  const warehouse = values.warehouse ?? "bigquery";
  if (warehouse !== "bigquery" && warehouse !== "duckdb") throw new UserError(`compile: --warehouse: expected bigquery or duckdb, got '${warehouse}'`);
  if (values.check !== undefined && values.check !== "bigquery") throw new UserError(`compile: --check: expected bigquery, got '${values.check}'`);
  if (values.check !== undefined && (values.json || values.warehouse === "duckdb")) throw new UserError("compile: --check bigquery takes neither --json nor --warehouse duckdb");
  return { check: values.check !== undefined, json: values.json ?? false, vars: values.vars, warehouse, help: values.help ?? false, projectDir: path.resolve(values.project ?? process.cwd()) };
}

export async function main(argv: string[]): Promise<number> {
  const { projectDir, ...flags } = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const vars = parseVars(flags.vars);
  if (flags.check) {
    const { runBigQueryCheck } = await import("../../runner/check/runBigQueryCheck.js");
    return runBigQueryCheck(projectDir, vars);
  }
  if (flags.warehouse === "duckdb") vars.pulse_warehouse = "duckdb";
  const result = compileProject(projectDir, Object.keys(vars).length > 0 ? { vars } : {});
  const errors = result.graph.graphErrors?.compilationErrors ?? [];
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result.message, null, 4)}\n`);
  } else {
    const g = result.graph;
    const count = (g.tables?.length ?? 0) + (g.assertions?.length ?? 0) + (g.operations?.length ?? 0);
    process.stdout.write(`Compiled ${count} action(s) in ${Math.round(result.elapsedMs)} ms (@dataform/core ${result.coreVersion}).\n`);
    for (const table of g.tables ?? []) process.stdout.write(`  ${targetName(table.target)} [${(table.enumType ?? "table").toLowerCase()}]\n`);
    for (const op of g.operations ?? []) process.stdout.write(`  ${targetName(op.target)} [operations]\n`);
    for (const assertion of g.assertions ?? []) process.stdout.write(`  ${targetName(assertion.target)} [assertion]\n`);
  }
  if (errors.length > 0) {
    process.stderr.write(`Compilation errors:\n${errors.map((e) => `  ${e.fileName ?? "(project)"}: ${e.message}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}
