import { z } from "zod";
import { commaList, parseCommandArgs, parseVars } from "../../lib/args.js";
import { failureDetails, modeNotes, planText, resultsTable, summaryLine } from "../../runner/execute/report.js";
import { runFailed } from "../../runner/execute/results.js";
import { runProject, type RunRequest } from "../../runner/runProject.js";
import { durationMs } from "../../lib/duration.js";
import { watchRuns, watchStatusLine } from "../../jobs/watchRuns.js";
import { UserError } from "../../lib/errors.js";

const USAGE = `usage: pulse run [--tags a,b] [--tags-all a,b] [--actions x,y] [--include-deps] [--include-dependents]
                 [--full-refresh] [--vars k=v,...] [--dry-run] [--json] [--concurrency N] [--lock-timeout SECONDS]

Executes the selected actions of the Dataform project on the local DuckDB warehouse with 'dataform run'
semantics. --actions takes full names (db.schema.name), schema.name, bare names or globs (silver.*).
--tags selects actions with any of the tags; --tags-all those with every one of them.
--warehouse bigquery --gcp-project ID [--location L] runs the same plan on BigQuery (Application Default
Credentials); the official 'npx dataform run' works there too.
--watch [--interval 5s] repeats an incremental run every interval until Ctrl-C (ingest runs elsewhere).`;

const Flags = z.object({
  tags: z.string().optional(),
  "tags-all": z.string().optional(),
  actions: z.string().optional(),
  "include-deps": z.boolean().default(false),
  "include-dependents": z.boolean().default(false),
  "full-refresh": z.boolean().default(false),
  vars: z.string().optional(),
  "dry-run": z.boolean().default(false),
  json: z.boolean().default(false),
  concurrency: z.coerce.number().int().min(1).max(32).default(4),
  "lock-timeout": z.coerce.number().min(0).default(600),
  warehouse: z.enum(["duckdb", "bigquery"]).default("duckdb"),
  watch: z.boolean().default(false),
  interval: durationMs.default(5000),
  "gcp-project": z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  help: z.boolean().optional(),
});

const OPTIONS = {
  tags: { type: "string" },
  "tags-all": { type: "string" },
  actions: { type: "string" },
  "include-deps": { type: "boolean" },
  "include-dependents": { type: "boolean" },
  "full-refresh": { type: "boolean" },
  vars: { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  concurrency: { type: "string" },
  "lock-timeout": { type: "string" },
  warehouse: { type: "string" },
  watch: { type: "boolean" },
  interval: { type: "string" },
  "gcp-project": { type: "string" },
  location: { type: "string" },
} as const;

export async function main(argv: string[]): Promise<number> {
  const { flags, projectDir, home } = parseCommandArgs("run", argv, OPTIONS, Flags);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const quiet = flags.json;
  if (flags.warehouse === "bigquery" && !flags["gcp-project"]) throw new UserError("run: --warehouse bigquery needs --gcp-project PROJECT_ID (credentials from Application Default Credentials)");
  const request = {
    projectDir,
    home,
    target: flags.warehouse === "bigquery" ? { warehouse: "bigquery", projectId: flags["gcp-project"]!, location: flags.location } : { warehouse: "duckdb" },
    selection: {
      tags: commaList(flags.tags),
      tagsAll: commaList(flags["tags-all"]),
      actions: commaList(flags.actions),
      includeDependencies: flags["include-deps"],
      includeDependents: flags["include-dependents"],
    },
    vars: parseVars(flags.vars),
    fullRefresh: flags["full-refresh"],
    dryRun: flags["dry-run"],
    concurrency: flags.concurrency,
    lockTimeoutSeconds: flags["lock-timeout"],
    command: `pulse run ${argv.join(" ")}`.trim(),
    onLockWait: (holder) => process.stderr.write(`waiting for pid ${holder.pid} ('${holder.command}') to release the warehouse...\n`),
    onProgress: quiet
      ? undefined
      : (event) => {
          if (event.phase === "end" && event.result && event.result.status !== "success") {
            process.stderr.write(`  ${event.result.status}: ${event.name}\n`);
          }
        },
  } satisfies RunRequest;
  if (flags.watch) {
    if (flags["dry-run"] || flags.warehouse !== "duckdb") throw new UserError("run: --watch runs the local warehouse for real; it does not combine with --dry-run or --warehouse bigquery");
    return watch(request, flags.interval);
  }
  const { summary } = await runProject(request);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ runId: summary.runId, dryRun: summary.dryRun, startedAt: summary.startedAt, finishedAt: summary.finishedAt, actions: summary.results }, null, 2)}\n`);
  } else {
    if (summary.dryRun) process.stdout.write(`${planText(summary.results)}\n\n`);
    process.stdout.write(`${resultsTable(summary.results)}\n`);
    for (const line of modeNotes(summary.results)) process.stderr.write(`${line}\n`);
    for (const line of failureDetails(summary.results)) process.stderr.write(`${line}\n`);
    process.stdout.write(`${summaryLine(summary)}\n`);
  }
  return runFailed(summary) ? 1 : 0;
}

/** `--watch`: an incremental run every interval until SIGINT/SIGTERM; the run in progress finishes first. */
async function watch(request: RunRequest, intervalMs: number): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stderr.write(`watching: an incremental run every ${intervalMs / 1000}s; Ctrl-C to stop\n`);
  const status = await watchRuns({
    request: { ...request, onProgress: undefined },
    intervalMs,
    signal: controller.signal,
    onRun: (summary, current) => process.stdout.write(`${watchStatusLine(summary, current)}\n`),
    onError: (error) => process.stderr.write(`run failed to start: ${error.message}\n`),
  });
  process.stdout.write(`stopped after ${status.runs} run(s), ${status.failedRuns} failed\n`);
  return status.failedRuns > 0 ? 1 : 0;
}
