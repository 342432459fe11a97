import { Option } from "@commander-js/extra-typings";
import { ingestStatusTable, readIngestStatus } from "../../ingest/ingestStatus.js";
import { runUntilSignal, startStreamIngest } from "../../ingest/ingestService.js";
import { formatLandingEvent, formatLandingSummary } from "../../ingest/landing/landingReport.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { UserError } from "../../lib/errors.js";
import { brokersOption, homeOf, homeOption, projectDirOf, projectOption, rejectFlags } from "../commonOptions.js";
import { EXIT, type DefineCommand } from "../program.js";
import { streamIngestSpec, withStreamIngestOptions } from "../streamIngestOptions.js";

export const define: DefineCommand = (command, exit) => {
  withStreamIngestOptions(
    command
      .description(
        "--source landing --once loads every landing file not loaded before into bronze, then exits. --source kafka|pubsub runs the ingestion service until SIGINT/SIGTERM, then writes what is buffered, commits/acks it and exits 0. Pub/Sub topics and subscriptions that do not exist are created.",
      )
      .enablePositionalOptions()
      .addOption(new Option("--source <source>", "where to ingest from").choices(["landing", "kafka", "pubsub"] as const))
      .option("--once", "landing: load what is there and exit"),
  )
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const home = homeOf(self, projectDirOf(flags), { writes: "ingest" });
      if (flags.source === undefined) throw new UserError("ingest: --source is required (landing, kafka or pubsub)");
      if (flags.source === "landing") {
        if (!flags.once) throw new UserError("ingest --source landing needs --once (it loads what is there and exits)");
        rejectFlags(
          self,
          Object.keys(flags).filter((name) => !["source", "once", "home", "project", "env"].includes(name)),
          "--source landing",
        );
        const summary = await loadLandingOnce(home, { onEvent: (event) => process.stderr.write(`${formatLandingEvent(event)}\n`) });
        process.stdout.write(`${formatLandingSummary(summary)}\n`);
        // README "Exit codes": 3 = the load finished, but files were left unloaded, quarantined or refused as changed.
        return exit(summary.outcome === "complete" ? 0 : EXIT.landingIncomplete);
      }
      if (flags.once) throw new UserError(`--once applies to --source landing; --source ${flags.source} runs until stopped`);
      const source = flags.source;
      const log = (line: string) => process.stderr.write(`ingest ${source}: ${line}\n`);
      const service = await startStreamIngest(streamIngestSpec(source, home, flags, self), log);
      exit(await runUntilSignal(service, log));
    });

  command
    .command("status")
    .description(
      "Per Kafka partition: the group's committed offset, the highest offset in the lake, the broker's end offset and the lag; per Pub/Sub subscription what the ingest process last recorded; dead letters per source.",
    )
    .addOption(brokersOption())
    .option("--json", "print the rows as JSON")
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const home = homeOf(self, projectDirOf(flags), { mustExist: true });
      const rows = await readIngestStatus(home, flags.brokers);
      process.stdout.write(`${flags.json ? JSON.stringify(rows, null, 2) : ingestStatusTable(rows, home)}\n`);
      exit(0);
    });
};
