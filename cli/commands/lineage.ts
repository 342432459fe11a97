import { Option } from "@commander-js/extra-typings";
import { UserError } from "../../lib/errors.js";
import { compileFor } from "../../runner/runProject.js";
import { catalog } from "../../serve/catalog.js";
import { columnLineage } from "../../serve/lineage/columnLineage.js";
import { openLineageEvents } from "../../serve/lineage/openLineage.js";
import { envOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { environmentVars } from "../../environments/environments.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Column lineage of every table and view, computed from the compiled SQL. --format openlineage prints one OpenLineage JobEvent " +
        "(with the columnLineage facet) per line; json prints pulse's own map of inputs per column.",
    )
    .addOption(new Option("--format <format>", "output format").choices(["openlineage", "json"] as const).default("json" as const))
    .addOption(projectOption())
    // Accepted as by every command, though this one keeps no state.
    .addOption(homeOption())
    .action((flags, self) => {
      const projectDir = projectDirOf(flags);
      const lineage = columnLineage(catalog(compileFor("duckdb", projectDir, environmentVars(envOf(self, projectDir)))));
      if (flags.format === "json") {
        process.stdout.write(`${JSON.stringify(lineage, null, 2)}\n`);
        return exit(0);
      }
      for (const event of openLineageEvents(lineage, "pulse")) process.stdout.write(`${JSON.stringify(event)}\n`);
      const unparsed = Object.values(lineage).filter((t) => Object.keys(t.columns).length === 0);
      if (unparsed.length > 0) throw new UserError(`lineage: no column lineage for ${unparsed.map((t) => `${t.table} (${t.problems.join("; ")})`).join(", ")}`, 1);
      exit(0);
    });
