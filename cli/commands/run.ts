import { Option } from "@commander-js/extra-typings";
import { bytesReport, failureDetails, modeNotes, planText, resultsTable, summaryLine } from "../../runner/execute/report.js";
import { runFailed, type RunSummary } from "../../runner/execute/results.js";
import { runProject, type RunRequest } from "../../runner/runProject.js";
import { durationMs } from "../../lib/duration.js";
import { watchRuns, watchStatusLine } from "../../jobs/watchRuns.js";
import { UserError } from "../../lib/errors.js";
import { environmentVars } from "../../environments/environments.js";
import { commandLine, gcpProjectOption, locationOption, envOf, homeOf, homeOption, lockTimeoutOption, projectDirOf, projectOption } from "../commonOptions.js";
import { checkedBy, nonEmptyList, varsFlag, wholeNumber } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Executes the selected actions of the Dataform project on the local DuckDB warehouse with 'dataform run' semantics. --warehouse bigquery --gcp-project ID runs the same plan on BigQuery (Application Default Credentials). --watch repeats an incremental run every --interval until Ctrl-C (ingest runs elsewhere), keeping the warehouse open between runs: queries are answered from the latest run, and a process that needs the file itself (another run, query --write or --role, pulse serve) gets it before the next run.",
    )
    .option("--tags <a,b>", "actions with any of these tags", nonEmptyList)
    .option("--tags-all <a,b>", "actions with every one of these tags", nonEmptyList)
    .option("--actions <x,y>", "actions by full name (db.schema.name), schema.name, bare name or glob (silver.*)", nonEmptyList)
    .option("--include-deps", "also the selected actions' dependencies", false)
    .option("--include-dependents", "also the actions that depend on the selection", false)
    .option("--full-refresh", "rebuild incremental tables from scratch", false)
    .option("--vars <k=v,...>", "project variables, as dataform run --vars", varsFlag)
    .option("--dry-run", "print the plan; change nothing", false)
    .option("--json", "print the run as JSON", false)
    .option("--concurrency <n>", "actions run at once (1-32)", wholeNumber(1, 32), 4)
    .addOption(lockTimeoutOption())
    .addOption(new Option("--warehouse <name>", "where the plan runs").choices(["duckdb", "bigquery"] as const).default("duckdb" as const))
    .option("--watch", "an incremental run every --interval until Ctrl-C", false)
    .option("--interval <duration>", "time between --watch runs (5s, 500ms, 2m)", checkedBy(durationMs), 5000)
    .addOption(gcpProjectOption())
    .addOption(locationOption())
    .option("--maximum-bytes-billed <bytes>", "BigQuery: the limit set on every job; a statement whose dry run is over it fails its action before it runs", wholeNumber(1))
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const env = envOf(self, projectDir);
      const home = homeOf(self, projectDir, { writes: flags.dryRun ? undefined : "run" });
      if (flags.maximumBytesBilled !== undefined && flags.warehouse !== "bigquery") throw new UserError("run: --maximum-bytes-billed applies to --warehouse bigquery");
      if (flags.warehouse === "bigquery" && !flags.gcpProject) throw new UserError("run: --warehouse bigquery needs --gcp-project PROJECT_ID (credentials from Application Default Credentials)");
      const request = {
        projectDir,
        home,
        environment: env.name,
        target:
          flags.warehouse === "bigquery"
            ? { warehouse: "bigquery", projectId: flags.gcpProject!, location: flags.location, maximumBytesBilled: flags.maximumBytesBilled, mapping: env.bigquery }
            : { warehouse: "duckdb" },
        selection: {
          tags: flags.tags ?? [],
          tagsAll: flags.tagsAll ?? [],
          actions: flags.actions ?? [],
          includeDependencies: flags.includeDeps,
          includeDependents: flags.includeDependents,
        },
        vars: environmentVars(env, flags.vars),
        fullRefresh: flags.fullRefresh,
        dryRun: flags.dryRun,
        concurrency: flags.concurrency,
        lockTimeoutSeconds: flags.lockTimeout,
        command: commandLine(self),
        onLockWait: (holder) => process.stderr.write(`waiting for pid ${holder.pid} ('${holder.command}') to release the warehouse...\n`),
        onProgress: flags.json
          ? undefined
          : (event) => {
              if (event.phase === "end" && event.result && event.result.status !== "success") {
                process.stderr.write(`  ${event.result.status}: ${event.name}\n`);
              }
            },
      } satisfies RunRequest;
      if (flags.watch) {
        if (flags.dryRun || flags.warehouse !== "duckdb") throw new UserError("run: --watch runs the local warehouse for real; it does not combine with --dry-run or --warehouse bigquery");
        return exit(await watch(request, flags.interval));
      }
      const { summary } = await runProject(request);
      printRun(summary, flags.json);
      exit(runFailed(summary) ? 1 : 0);
    });

/** A finished run as `pulse run` prints it (also `pulse promote`). */
export function printRun(summary: RunSummary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ runId: summary.runId, dryRun: summary.dryRun, startedAt: summary.startedAt, finishedAt: summary.finishedAt, actions: summary.results }, null, 2)}\n`);
    return;
  }
  if (summary.dryRun) process.stdout.write(`${planText(summary.results)}\n\n`);
  process.stdout.write(`${resultsTable(summary.results)}\n`);
  for (const line of bytesReport(summary.results)) process.stdout.write(`${line}\n`);
  for (const line of modeNotes(summary.results)) process.stderr.write(`${line}\n`);
  for (const line of failureDetails(summary.results)) process.stderr.write(`${line}\n`);
  process.stdout.write(`${summaryLine(summary)}\n`);
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
