import { Option } from "@commander-js/extra-typings";
import { applyGrants, type GrantsClient } from "../../access/applyGrants.js";
import { bigQueryGraphFor } from "../../access/environmentGraph.js";
import { grantsPlan, grantsPlanText } from "../../access/grantsPlan.js";
import { DEFAULT_ENVIRONMENT, loadAccessPolicy } from "../../access/policyFile.js";
import { createBigQueryClient } from "../../runner/adapters/bigquery/bigqueryAdapter.js";
import { homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { nonEmpty } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

const envOption = () => new Option("--env <name>", "the environment of access.yaml").default(DEFAULT_ENVIRONMENT);

export const define: DefineCommand = (command, exit) => {
  command.description("the BigQuery DCL that enforces access.yaml (pulse grants plan|apply)");
  command
    .command("plan")
    .description("Prints the GRANT and CREATE ROW ACCESS POLICY statements for one environment, and the policy tags of its PII columns. Connects to nothing.")
    .addOption(envOption())
    .option("--gcp-project <id>", "BigQuery project the environment deploys to (default: the project's defaultProject)", nonEmpty)
    .addOption(projectOption())
    .addOption(homeOption())
    .action((flags) => {
      const projectDir = projectDirOf(flags);
      const policy = loadAccessPolicy(projectDir);
      process.stdout.write(grantsPlanText(grantsPlan(policy, flags.env, bigQueryGraphFor(projectDir, policy, flags.env, flags.gcpProject))));
      exit(0);
    });
  command
    .command("apply")
    .description("Runs the plan's statements on BigQuery, then writes the PII policy tags into the tables' schemas. Credentials: Application Default Credentials.")
    .addOption(envOption())
    .addOption(new Option("--warehouse <name>", "where grants apply").choices(["bigquery"] as const).makeOptionMandatory())
    .requiredOption("--gcp-project <id>", "BigQuery project the environment deploys to", nonEmpty)
    .option("--location <location>", "BigQuery location", nonEmpty)
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags) => {
      const projectDir = projectDirOf(flags);
      const policy = loadAccessPolicy(projectDir);
      const plan = grantsPlan(policy, flags.env, bigQueryGraphFor(projectDir, policy, flags.env, flags.gcpProject));
      const client = (await createBigQueryClient(flags.gcpProject, flags.location)) as unknown as GrantsClient;
      const report = await applyGrants(plan, client, { location: flags.location });
      process.stdout.write(`grants apply --env ${flags.env}: ${report.statements} statement(s) applied; policy tags set on ${report.tagged.length} table(s)\n`);
      for (const table of report.missing) process.stdout.write(`  not yet on BigQuery (run, then apply again): ${table}\n`);
      exit(0);
    });
};
