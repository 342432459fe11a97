import { z } from "zod";
import { parseCommandArgs, parseVars } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { bigqueryInitPlan, initBigQuery } from "../../runner/adapters/bigquery/bronzeInit.js";
import { openBigQuery } from "../../runner/runProject.js";

const USAGE = `usage: pulse bigquery init --gcp-project ID [--location L] [--vars k=v,...] [--dry-run]

Creates on BigQuery (or the emulator at BIGQUERY_EMULATOR_HOST) every dataset the Dataform project uses and
the bronze tables it declares (registered_users, gym_logins, kafka_multiplex, dead_letters), partitioned by
ingestion day. Idempotent: what exists is kept (a bronze table must have every contract column).
--dry-run prints the DDL without connecting. Credentials: Application Default Credentials.`;

const Flags = z.object({
  "gcp-project": z.string().min(1, "needs a GCP project id").optional(),
  location: z.string().min(1).optional(),
  vars: z.string().optional(),
  "dry-run": z.boolean().default(false),
  help: z.boolean().optional(),
});

const OPTIONS = {
  "gcp-project": { type: "string" },
  location: { type: "string" },
  vars: { type: "string" },
  "dry-run": { type: "boolean" },
} as const;

export async function main(argv: string[]): Promise<number> {
  const { flags, positionals, projectDir } = parseCommandArgs("bigquery", argv, OPTIONS, Flags, { allowPositionals: true });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (sub !== "init" || extra.length > 0) throw new UserError(`bigquery: expected the subcommand 'init'${sub ? `, got '${positionals.join(" ")}'` : ""}\n${USAGE}`);
  const projectId = flags["gcp-project"];
  if (!projectId) throw new UserError("bigquery init: needs --gcp-project PROJECT_ID (on the emulator: pulse-local)");
  const { graph, adapter } = await openBigQuery(projectDir, parseVars(flags.vars), { warehouse: "bigquery", projectId, location: flags.location });
  const plan = bigqueryInitPlan(graph, (target) => adapter.relationName(target));
  if (flags["dry-run"]) {
    const datasets = plan.datasets.map((d) => `-- dataset ${d.database}.${d.schema}`);
    process.stdout.write(`${[...datasets, "", ...plan.tables.map((t) => `${t.ddl};\n`)].join("\n")}`);
    return 0;
  }
  const outcome = await initBigQuery(adapter, plan);
  process.stdout.write(`datasets: ${outcome.datasets.join(", ")}\n`);
  for (const t of outcome.tables) process.stdout.write(`${t.status === "created" ? "created" : "exists "} ${t.name}\n`);
  return 0;
}
