import { Option } from "@commander-js/extra-typings";
import { compileProject } from "../../runner/compile/compile.js";
import { targetName } from "../../runner/compile/graph.js";
import { bigQueryOverride, environmentVars } from "../../environments/environments.js";
import { envOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { varsFlag } from "../flagValues.js";
import type { DefineCommand } from "../program.js";
import { UserError } from "../../lib/errors.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Compiles the Dataform project in-process with @dataform/core. --json prints the compiled graph exactly as 'dataform compile --json' does. --warehouse duckdb renders the includes/ helpers for DuckDB.",
    )
    .option("--json", "print the compiled graph as JSON")
    .option("--vars <k=v,...>", "project variables, as dataform compile --vars", varsFlag)
    .addOption(new Option("--warehouse <name>", "the warehouse the includes/ helpers render for").choices(["bigquery", "duckdb"] as const).default("bigquery" as const))
    .addOption(
      new Option(
        "--check <warehouse>",
        "analyse every statement a BigQuery run would send with Google's ZetaSQL analyzer (Java 17 and Maven; built once into ~/.cache/pulse); exit 1 on any error, naming file, action and position",
      ).choices(["bigquery"] as const),
    )
    .addOption(projectOption())
    // Accepted as by every command, though this one keeps no state.
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const env = envOf(self, projectDir);
      if (flags.check) {
        if (flags.json || self.getOptionValueSource("warehouse") === "cli") throw new UserError("compile: --check bigquery takes neither --json nor --warehouse");
        const { runBigQueryCheck } = await import("../../runner/check/runBigQueryCheck.js");
        return exit(await runBigQueryCheck(projectDir, environmentVars(env, flags.vars), bigQueryOverride(env)));
      }
      const vars = environmentVars(env, flags.vars);
      if (flags.warehouse === "duckdb") vars.pulse_warehouse = "duckdb";
      // The local warehouse keeps each environment in its own file under the same names; BigQuery gets the environment's mapping.
      const mapping = flags.warehouse === "bigquery" ? bigQueryOverride(env) : {};
      const result = compileProject(projectDir, { ...mapping, ...(Object.keys(vars).length > 0 ? { vars } : {}) });
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
        exit(1);
      }
    });
