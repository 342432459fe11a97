import { bigqueryInitPlan, initBigQuery } from "../../runner/adapters/bigquery/bronzeInit.js";
import { openBigQuery } from "../../runner/runProject.js";
import { environmentVars } from "../../environments/environments.js";
import { assertWritable } from "../../environments/writeGuard.js";
import { envOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { nonEmpty, varsFlag } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) => {
  command.description("BigQuery set-up (pulse bigquery init)");
  command
    .command("init")
    .description(
      "Creates on BigQuery (or the emulator at BIGQUERY_EMULATOR_HOST) every dataset the Dataform project uses and the bronze tables it declares " +
        "(registered_users, gym_logins, kafka_multiplex, dead_letters), partitioned by ingestion day. Idempotent: what exists is kept " +
        "(a bronze table must have every contract column). Credentials: Application Default Credentials.",
    )
    .requiredOption("--gcp-project <id>", "GCP project id (on the emulator: pulse-local)", nonEmpty)
    .option("--location <location>", "BigQuery location", nonEmpty)
    .option("--vars <k=v,...>", "project variables", varsFlag)
    .option("--dry-run", "print the DDL without connecting", false)
    .addOption(projectOption())
    // Accepted as by every command, though this one keeps no local state.
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const env = envOf(self, projectDir);
      if (!flags.dryRun) assertWritable(env, "bigquery init");
      const { graph, adapter } = await openBigQuery(projectDir, environmentVars(env, flags.vars), {
        warehouse: "bigquery",
        projectId: flags.gcpProject,
        location: flags.location,
        mapping: env.bigquery,
      });
      const plan = bigqueryInitPlan(graph, (target) => adapter.relationName(target));
      if (flags.dryRun) {
        const datasets = plan.datasets.map((d) => `-- dataset ${d.database}.${d.schema}`);
        process.stdout.write(`${[...datasets, "", ...plan.tables.map((t) => `${t.ddl};\n`)].join("\n")}`);
        return exit(0);
      }
      const outcome = await initBigQuery(adapter, plan);
      process.stdout.write(`datasets: ${outcome.datasets.join(", ")}\n`);
      for (const t of outcome.tables) process.stdout.write(`${t.status === "created" ? "created" : "exists "} ${t.name}\n`);
      exit(0);
    });
};
