import { Option } from "@commander-js/extra-typings";
import { promote } from "../../environments/promote.js";
import { runFailed } from "../../runner/execute/results.js";
import { UserError } from "../../lib/errors.js";
import { commandLine, gcpProjectOption, locationOption, homeOption, homeRootOf, lockTimeoutOption, projectDirOf, projectOption, rejectFlags } from "../commonOptions.js";
import { nonEmpty, varsFlag, wholeNumber } from "../flagValues.js";
import type { DefineCommand } from "../program.js";
import { printRun } from "./run.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Runs the whole graph in --to only if --from's last run executed the same compiled graph (hash of the compiled SQL and vars), every assertion passed in that run, " +
        "and 'pulse test --env <from>' passed on that graph; otherwise refuses (exit 1) with every reason. An environment closed to developer writes (prod) is written only by a deploy (PULSE_DEPLOY=<env>, set by scripts/ciStage.ts).",
    )
    .requiredOption("--from <env>", "the environment that tested the graph", nonEmpty)
    .requiredOption("--to <env>", "the environment to run it in", nonEmpty)
    .option("--vars <k=v,...>", "project variables over the target environment's, as pulse run --vars", varsFlag)
    .option("--json", "print the run as JSON", false)
    .option("--concurrency <n>", "actions run at once (1-32)", wholeNumber(1, 32), 4)
    .addOption(lockTimeoutOption())
    .addOption(new Option("--warehouse <name>", "where the target runs").choices(["duckdb", "bigquery"] as const).default("duckdb" as const))
    .addOption(gcpProjectOption())
    .addOption(locationOption())
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      // --env is every command's; promote names both of its environments itself.
      rejectFlags(self, ["env"], "promote (it takes --from and --to)");
      if (flags.warehouse === "bigquery" && !flags.gcpProject) throw new UserError("promote: --warehouse bigquery needs --gcp-project PROJECT_ID");
      const projectDir = projectDirOf(flags);
      const { summary } = await promote({
        projectDir,
        root: homeRootOf(self, projectDir),
        from: flags.from,
        to: flags.to,
        vars: flags.vars ?? {},
        target: flags.warehouse === "bigquery" ? { warehouse: "bigquery", projectId: flags.gcpProject!, location: flags.location } : { warehouse: "duckdb" },
        concurrency: flags.concurrency,
        lockTimeoutSeconds: flags.lockTimeout,
        command: commandLine(self),
        log: (message) => process.stderr.write(`${message}\n`),
      });
      printRun(summary, flags.json);
      exit(runFailed(summary) ? 1 : 0);
    });
