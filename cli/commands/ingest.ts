import { Option } from "@commander-js/extra-typings";
import { ingestStatusTable, readIngestStatus } from "../../ingest/ingestStatus.js";
import { runUntilSignal, startStreamIngest } from "../../ingest/ingestService.js";
import { formatLandingEvent, formatLandingSummary } from "../../ingest/landing/landingReport.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { UserError } from "../../lib/errors.js";
import { brokersOption, homeOf, homeOption, projectDirOf, projectOption, rejectFlags } from "../commonOptions.js";
import { EXIT, type DefineCommand } from "../program.js";
import { streamIngestSpec, withStreamIngestOptions } from "../streamIngestOptions.js";
import { nonEmpty } from "../flagValues.js";
import type { BronzeSinkSpec } from "../../ingest/sink/bronzeTarget.js";

export const define: DefineCommand = (command, exit) => {
  withStreamIngestOptions(
    command
      .description(
        "--source landing --once loads every landing file not loaded before into bronze, then exits. --source kafka|pubsub runs the ingestion service until SIGINT/SIGTERM, then writes what is buffered, commits/acks it and exits 0. Pub/Sub topics and subscriptions that do not exist are created.",
      )
      .enablePositionalOptions()
      .addOption(new Option("--source <source>", "where to ingest from").choices(["landing", "kafka", "pubsub"] as const))
      .option("--once", "landing: load what is there and exit")
      .addOption(new Option("--sink <sink>", "where bronze goes: the local lake, or BigQuery through the Storage Write API").choices(["lake", "bigquery"] as const).default("lake" as const))
      .option("--gcp-project <id>", "--sink bigquery: the GCP project (on the emulator: pulse-local; BIGQUERY_STORAGE_EMULATOR_HOST)", nonEmpty)
      .option("--bigquery-dataset <name>", "--sink bigquery: the bronze dataset", nonEmpty, "bronze"),
  )
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const home = homeOf(self, projectDirOf(flags));
      if (flags.source === undefined) throw new UserError("ingest: --source is required (landing, kafka or pubsub)");
      if (flags.sink === "bigquery" && !flags.gcpProject) throw new UserError("ingest --sink bigquery needs --gcp-project PROJECT_ID (on the emulator: pulse-local)");
      if (flags.sink === "lake") rejectFlags(self, ["gcpProject", "bigqueryDataset"], "--sink lake");
      if (flags.source === "landing") {
        if (flags.sink === "bigquery") throw new UserError("ingest --source landing --sink bigquery is not supported yet: load landing files into the lake (the default sink)");
        if (!flags.once) throw new UserError("ingest --source landing needs --once (it loads what is there and exits)");
        rejectFlags(
          self,
          Object.keys(flags).filter((name) => !["source", "once", "home", "project", "sink"].includes(name)),
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
      const sink: BronzeSinkSpec = flags.sink === "bigquery" ? { kind: "bigquery", projectId: flags.gcpProject!, dataset: flags.bigqueryDataset } : { kind: "lake" };
      const spec = streamIngestSpec(source, home, flags, self);
      if (sink.kind === "bigquery") await (await import("../../ingest/sink/bigqueryBronzeTarget.js")).checkBigQueryBronze(sink);
      const service = await startStreamIngest({ ...spec, options: { ...spec.options, sink } } as typeof spec, log);
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
