import { describeEnvironment, environmentTable } from "../../environments/describe.js";
import { loadEnvironments, resolveEnvironment } from "../../environments/environments.js";
import { envOf, homeOption, homeRootOf, projectDirOf, projectOption } from "../commonOptions.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) => {
  command.description("the project's environments (environments.yaml): pulse env list | pulse env show [NAME]");
  command
    .command("list")
    .description("One line per environment: its local state folder, its BigQuery targets and whether a developer may write it.")
    .option("--json", "print them as JSON", false)
    .addOption(projectOption())
    .addOption(homeOption())
    .action((flags, self) => {
      const projectDir = projectDirOf(flags);
      const root = homeRootOf(self, projectDir);
      const described = loadEnvironments(projectDir).map((env) => describeEnvironment(env, root, projectDir));
      process.stdout.write(`${flags.json ? JSON.stringify(described, null, 2) : environmentTable(described)}\n`);
      exit(0);
    });
  command
    .command("show")
    .description("What one environment resolves to (default: --env), with the exact official dataform flags that give the same targets.")
    .argument("[name]", "the environment (default: --env, else $PULSE_ENV, else dev)")
    .option("--json", "print it as JSON", false)
    .addOption(projectOption())
    .addOption(homeOption())
    .action((name, flags, self) => {
      const projectDir = projectDirOf(flags);
      const env = name === undefined ? envOf(self, projectDir) : resolveEnvironment(projectDir, name, "env show");
      const described = describeEnvironment(env, homeRootOf(self, projectDir), projectDir);
      if (flags.json) process.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
      else process.stdout.write(`${described.lines.join("\n")}\n`);
      exit(0);
    });
};
