import { Option } from "@commander-js/extra-typings";
import { startStreamIngest } from "../../ingest/ingestService.js";
import { runStreamJob } from "../../jobs/streamJob.js";
import { durationMs } from "../../lib/duration.js";
import { environmentVars } from "../../environments/environments.js";
import { commandLine, envOf, homeOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { checkedBy, nonEmptyList, varsFlag } from "../flagValues.js";
import type { DefineCommand } from "../program.js";
import { streamIngestSpec, withStreamIngestOptions } from "../streamIngestOptions.js";

export const define: DefineCommand = (command, exit) =>
  withStreamIngestOptions(
    command
      .description(
        "Ingests continuously and runs the graph incrementally every --interval, in one process, until Ctrl-C. The landing zone (registrations, gym logins, any files) is loaded before each run; --source landing does only that, without a stream. The status line shows each run's duration and rows, and freshness: how long before the run finished the oldest message it made visible was produced (its message timestamp); shown only for live timestamps (replays keep historical ones, e.g. pulse produce without --timestamps send).",
      )
      .addOption(new Option("--source <source>", "the stream to ingest").choices(["kafka", "pubsub", "landing"] as const).default("kafka" as const))
      // Freshness is about the commit (--flush-ms) + the wait for the next run + the run: at 10k events/s the 5 s
      // default gave p95 6.35 s and 1 s gave 3.4 s (bench/stream.ts); 2 s keeps p95 under 5 s at half the runs of 1 s.
      .option("--interval <duration>", "time between incremental runs (2s, 500ms, 2m)", checkedBy(durationMs), 2000)
      .option("--tags <a,b>", "run only actions with these tags", nonEmptyList)
      .option("--vars <k=v,...>", "project variables", varsFlag),
  )
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const env = envOf(self, projectDir);
      const home = homeOf(self, projectDir, { writes: "stream" });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const source = flags.source;
      const spec = source === "landing" ? undefined : streamIngestSpec(source, home, env.name, flags, self);
      exit(
        await runStreamJob({
          startIngest: spec ? () => startStreamIngest(spec, (line) => log(`ingest ${source}: ${line}`)) : undefined,
          run: {
            projectDir,
            home,
            environment: env.name,
            selection: { tags: flags.tags ?? [] },
            vars: environmentVars(env, flags.vars),
            fullRefresh: false,
            command: commandLine(self),
          },
          intervalMs: flags.interval,
          log,
        }),
      );
    });
