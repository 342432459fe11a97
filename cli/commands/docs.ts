import path from "node:path";
import { compileFor } from "../../runner/runProject.js";
import { ServeModel } from "../../serve/app.js";
import { buildDocs } from "../../serve/docsBuild.js";
import { envOf, homeOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { environmentVars } from "../../environments/environments.js";
import { nonEmpty } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) => {
  command.description("data docs as a static site (pulse docs build --out DIR)");
  command
    .command("build")
    .description(
      "Writes the data docs (every table: description, columns, lineage, assertions, SQL) and the pipeline DAG with the latest results " + "as a static site into DIR (open DIR/index.html).",
    )
    .requiredOption("--out <dir>", "the folder to write", nonEmpty)
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const out = path.resolve(flags.out);
      const written = await buildDocs(new ServeModel(compileFor("duckdb", projectDir, environmentVars(envOf(self, projectDir))), projectDir, homeOf(self, projectDir)), out);
      process.stdout.write(`wrote ${written.length} files to ${out}; open ${path.join(out, "index.html")}\n`);
      exit(0);
    });
};
