import { Option } from "@commander-js/extra-typings";
import { ingestStatusTable, readIngestStatus } from "../../ingest/ingestStatus.js";
import { runUntilSignal, startStreamIngest } from "../../ingest/ingestService.js";
import { formatLandingEvent, formatLandingSummary } from "../../ingest/landing/landingReport.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { durationMs } from "../../lib/duration.js";
import { UserError } from "../../lib/errors.js";
import { LANDING_FEEDS } from "../../lib/feeds.js";
import { brokersOption, envOf, homeOf, homeOption, projectDirOf, projectOption, rejectFlags } from "../commonOptions.js";
import { EXIT, type DefineCommand } from "../program.js";
import { checkedBy, nonEmpty, nonEmptyList, wholeNumber } from "../flagValues.js";
import { streamIngestSpec, withStreamIngestOptions } from "../streamIngestOptions.js";
import type { BronzeSinkSpec } from "../../ingest/sink/bronzeTarget.js";

/** The flags only `--source postgres` takes. */
const POSTGRES_FLAGS = ["url", "schema", "tables", "cursorColumn", "keyColumn", "overlap", "overlapValues", "interval", "chunkRows"];
const POSTGRES_TABLES = LANDING_FEEDS.filter((feed) => feed !== "kafka_multiplex");

export const define: DefineCommand = (command, exit) => {
  withStreamIngestOptions(
    command
      .description(
        "--source landing --once loads every landing file not loaded before into bronze, then exits. --source postgres copies new and changed rows of PostgreSQL tables into bronze, once (--once) or every --interval. --source kafka|pubsub runs the ingestion service until SIGINT/SIGTERM, then writes what is buffered, commits/acks it and exits 0. Pub/Sub topics and subscriptions that do not exist are created.",
      )
      .enablePositionalOptions()
      .addOption(new Option("--source <source>", "where to ingest from").choices(["landing", "kafka", "pubsub", "postgres"] as const))
      .option("--once", "landing, postgres: load what is there and exit")
      .addOption(
        new Option("--sink <sink>", "where bronze goes: the local lake, or BigQuery through the Storage Write API (every source)").choices(["lake", "bigquery"] as const).default("lake" as const),
      )
      .option("--gcp-project <id>", "--sink bigquery: the GCP project (on the emulator: pulse-local; BIGQUERY_STORAGE_EMULATOR_HOST)", nonEmpty)
      .option("--bigquery-dataset <name>", "--sink bigquery: the bronze dataset", nonEmpty, "bronze")
      .addOption(new Option("--url <url>", "postgres: the database, postgres://user@host:port/db").env("PULSE_PG_URL").argParser(nonEmpty))
      .option("--schema <schema>", "postgres: the tables' schema", nonEmpty, "public")
      .option("--tables <names>", `postgres: tables to copy (${POSTGRES_TABLES.join(",")}), each into the bronze table of its name`, nonEmptyList)
      .option("--cursor-column <column>", "postgres: the column that grows on every insert and update (a timestamp or an integer)", nonEmpty, "updated_at")
      .option("--key-column <column>", "postgres: the row key (default: the primary key)", nonEmpty)
      .option("--overlap <duration>", "postgres, timestamp cursor: re-read this far below the highest cursor copied, for rows committed out of cursor order (5m, 30s)", checkedBy(durationMs), 300_000)
      .option("--overlap-values <n>", "postgres, integer cursor: the overlap window in cursor values", wholeNumber(0), 10_000)
      .option("--interval <duration>", "postgres without --once: time between passes (5s, 500ms, 2m)", checkedBy(durationMs), 5000)
      .option("--chunk-rows <n>", "postgres: rows per bronze batch", wholeNumber(1), 500_000),
  )
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const home = homeOf(self, projectDir, { writes: "ingest" });
      if (flags.source === undefined) throw new UserError("ingest: --source is required (landing, postgres, kafka or pubsub)");
      if (flags.sink === "bigquery" && !flags.gcpProject) throw new UserError("ingest --sink bigquery needs --gcp-project PROJECT_ID (on the emulator: pulse-local)");
      if (flags.sink === "lake") rejectFlags(self, ["gcpProject", "bigqueryDataset"], "--sink lake");
      const sink: BronzeSinkSpec = flags.sink === "bigquery" ? { kind: "bigquery", projectId: flags.gcpProject!, dataset: flags.bigqueryDataset } : { kind: "lake" };
      if (flags.source === "landing") {
        if (!flags.once) throw new UserError("ingest --source landing needs --once (it loads what is there and exits)");
        rejectFlags(
          self,
          Object.keys(flags).filter((name) => !["source", "once", "home", "project", "sink", "env", "gcpProject", "bigqueryDataset"].includes(name)),
          "--source landing",
        );
        const summary = await loadLandingOnce(home, { sink, onEvent: (event) => process.stderr.write(`${formatLandingEvent(event)}\n`) });
        process.stdout.write(`${formatLandingSummary(summary)}\n`);
        // README "Exit codes": 3 = the load finished, but files were left unloaded, quarantined or refused as changed.
        return exit(summary.outcome === "complete" ? 0 : EXIT.landingIncomplete);
      }
      if (flags.source === "postgres") {
        rejectFlags(self, ["topics", "brokers", "group", "projectId", "subscriptions", "subscriptionPrefix", "topicPrefix", "maxBatch", "flushMs", "progressInterval"], "--source postgres");
        if (flags.once) rejectFlags(self, ["interval"], "--once");
        if (flags.url === undefined) throw new UserError("ingest --source postgres needs --url postgres://user@host:port/db (or PULSE_PG_URL)");
        const tables = flags.tables ?? POSTGRES_TABLES;
        const unknown = tables.filter((t) => !(POSTGRES_TABLES as string[]).includes(t));
        if (unknown.length > 0) throw new UserError(`--tables: ${unknown.join(", ")} is not a bronze table fed by PostgreSQL (${POSTGRES_TABLES.join(", ")})`);
        const { runPostgresIngest } = await import("../../ingest/sources/postgres/postgresIngest.js");
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        await runPostgresIngest({
          home,
          url: flags.url,
          schema: flags.schema,
          tables: tables as (typeof POSTGRES_TABLES)[number][],
          cursorColumn: flags.cursorColumn,
          keyColumn: flags.keyColumn,
          overlapMs: flags.overlap,
          overlapValues: flags.overlapValues,
          intervalMs: flags.once ? undefined : flags.interval,
          rowsPerChunk: flags.chunkRows,
          log: (line) => process.stderr.write(`ingest postgres: ${line}\n`),
          signal: controller.signal,
          sink,
        });
        return exit(0);
      }
      rejectFlags(self, POSTGRES_FLAGS, `--source ${flags.source}`);
      if (flags.once) throw new UserError(`--once applies to --source landing and postgres; --source ${flags.source} runs until stopped`);
      const source = flags.source;
      const log = (line: string) => process.stderr.write(`ingest ${source}: ${line}\n`);
      const spec = streamIngestSpec(source, home, envOf(self, projectDir).name, flags, self);
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
