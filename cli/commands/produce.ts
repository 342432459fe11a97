import path from "node:path";
import { Option, type Command } from "@commander-js/extra-typings";
import { streamNames } from "../../environments/streamNames.js";
import { UserError } from "../../lib/errors.js";
import { SOURCE_FEEDS, type SourceFeed } from "../../produce/dataSetLayout.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import type { PostgresRow } from "../../produce/toPostgres.js";
import { replayRecords, replayToLanding } from "../../produce/replay.js";
import { syntheticRecords } from "../../produce/synthetic/records.js";
import { produceToKafka } from "../../produce/toKafka.js";
import { produceToPubsub } from "../../produce/toPubsub.js";
import { DEFAULT_START, startDateSchema, startOfDay, type SyntheticConfig } from "../../produce/synthetic/config.js";
import { syntheticToLanding } from "../../produce/synthetic/toLanding.js";
import { brokersOption, envOf, homeOf, homeOption, projectDirOf, projectOption, pubsubProjectOption, rejectFlags, subscriptionPrefixOption, topicPrefixOption } from "../commonOptions.js";
import { checkedBy, wholeNumber } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

const withProduceOptions = (command: Command) =>
  command
    .description(
      "Replays a data set laid out like the reference (1-registered_users_N.csv, …, 5-gym_logins_N.csv, any depth) " +
        "or generates a deterministic synthetic fleet, into the landing zone, Kafka, Pub/Sub, or the registered_users and gym_logins tables of a PostgreSQL database.",
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  pulse produce --to landing --from DIR --iteration N",
        "  pulse produce --to landing --synthetic --users N --days D --seed S [--start YYYY-MM-DD] [--batches K] [--gzip]",
        "  pulse produce --to kafka|pubsub (--from DIR --iteration N | --synthetic …)",
        "  pulse produce --to postgres --url postgres://… (--from DIR --iteration N | --synthetic …) [--rate R]",
      ].join("\n"),
    )
    .addOption(new Option("--to <sink>", "where the records go").choices(["landing", "kafka", "pubsub", "postgres"] as const))
    .addOption(new Option("--url <url>", "postgres: the database (the demo database of services:up has the tables)").env("PULSE_PG_URL"))
    .option("--from <dir>", "a data set to replay")
    .option("--iteration <n>", "which set to replay: files ending in _N", wholeNumber(1))
    .option("--synthetic", "generate a deterministic fleet instead")
    .option("--users <n>", "synthetic: devices in the fleet", wholeNumber(1))
    .option("--days <d>", "synthetic: days simulated", wholeNumber(1))
    .option("--seed <s>", "synthetic: same seed, same bytes", wholeNumber(0))
    .option("--start <date>", `synthetic: first simulated day, UTC (default ${DEFAULT_START})`, checkedBy(startDateSchema))
    .option("--batches <k>", "landing: split the period into K slices, one set of files each (default 1)", wholeNumber(1))
    .option("--gzip", "landing: gzip every generated file")
    .addOption(brokersOption())
    .addOption(topicPrefixOption())
    .option("--rate <r>", "messages (postgres: rows) per second (default: as fast as the broker acknowledges)", wholeNumber(1))
    .option("--partitions <n>", "kafka: partitions of topics that do not exist yet", wholeNumber(1), 3)
    .addOption(
      new Option("--timestamps <kind>", "kafka: message timestamp, the record's event time or the time it is sent (for measuring freshness)")
        .choices(["event", "send"] as const)
        .default("event" as const),
    )
    .addOption(pubsubProjectOption())
    .addOption(subscriptionPrefixOption())
    .addOption(projectOption())
    .addOption(homeOption());

type Flags = ReturnType<ReturnType<typeof withProduceOptions>["opts"]>;

export const define: DefineCommand = (command, exit) =>
  withProduceOptions(command).action(async (flags, self) => {
    const sink = flags.to;
    if (sink === undefined) throw new UserError("produce: --to is required (landing, kafka, pubsub or postgres)");
    const given = (mode: string, names: string[]) => rejectFlags(self, names, mode);
    if (sink !== "postgres") given(`--to ${sink}`, ["url"]);
    const source = () => records(flags, given);
    if (sink === "landing") {
      given("--to landing", ["brokers", "topicPrefix", "rate", "partitions", "timestamps", "projectId", "subscriptionPrefix"]);
      const home = homeOf(self, projectDirOf(flags), { writes: "produce --to landing" });
      return exit(flags.synthetic ? await syntheticLanding(flags, given, home) : await replayLanding(flags, given, home));
    }
    if (sink === "postgres") {
      given("--to postgres", ["batches", "gzip", "brokers", "topicPrefix", "partitions", "timestamps", "projectId", "subscriptionPrefix"]);
      if (flags.url === undefined) throw new UserError("produce --to postgres needs --url postgres://user@host:port/db (or PULSE_PG_URL)");
      const { produceToPostgres, replayRows, syntheticRows } = await import("../../produce/toPostgres.js");
      let rows: Iterable<PostgresRow> | AsyncIterable<PostgresRow>;
      if (flags.synthetic) {
        given("--synthetic", ["from", "iteration"]);
        rows = syntheticRows(syntheticConfig(flags));
      } else {
        const { from, iteration } = replaySource(flags, given);
        rows = replayRows(from, iteration);
      }
      const sent = await produceToPostgres(rows, { url: flags.url, rate: flags.rate, progressMs: 1000, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(`inserted ${sent.toLocaleString("en-US")} rows into PostgreSQL (${new URL(flags.url).host})\n`);
      return exit(0);
    }
    if (sink === "kafka") {
      given("--to kafka", ["batches", "gzip", "projectId", "subscriptionPrefix"]);
      const sent = await produceToKafka(source(), {
        brokers: flags.brokers,
        topicPrefix: flags.topicPrefix,
        rate: flags.rate,
        partitions: flags.partitions,
        timestamps: flags.timestamps,
        progressMs: 1000,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`sent ${sent.toLocaleString("en-US")} messages to Kafka (${flags.brokers.join(",")})\n`);
      return exit(0);
    }
    given("--to pubsub", ["batches", "gzip", "brokers", "partitions", "timestamps"]);
    const sent = await produceToPubsub(source(), {
      projectId: flags.projectId,
      topicPrefix: flags.topicPrefix,
      subscriptionPrefix: flags.subscriptionPrefix ?? streamNames(envOf(self, projectDirOf(flags)).name).subscriptionPrefix,
      rate: flags.rate,
      progressMs: 1000,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const emulator = process.env.PUBSUB_EMULATOR_HOST ? `, emulator ${process.env.PUBSUB_EMULATOR_HOST}` : "";
    process.stdout.write(`sent ${sent.toLocaleString("en-US")} messages to Pub/Sub (project ${flags.projectId}${emulator})\n`);
    exit(0);
  });

type Reject = (mode: string, names: string[]) => void;

/** The message stream a sink sends: a replayed iteration or the synthetic fleet. */
function records(flags: Flags, reject: Reject): AsyncIterable<ProducerRecord> {
  if (flags.synthetic) {
    reject("--synthetic", ["from", "iteration"]);
    return syntheticRecords(syntheticConfig(flags));
  }
  const { from, iteration } = replaySource(flags, reject);
  return replayRecords(from, iteration);
}

function replaySource(flags: Flags, reject: Reject): { from: string; iteration: number } {
  if (flags.from === undefined) throw new UserError("produce: --from DIR is required (or --synthetic)");
  if (flags.iteration === undefined) throw new UserError("produce: --iteration N is required with --from");
  reject("--from", ["users", "days", "seed", "start", "batches", "gzip"]);
  return { from: path.resolve(flags.from), iteration: flags.iteration };
}

function syntheticConfig(flags: Flags): SyntheticConfig {
  return {
    users: required(flags.users, "--users N"),
    days: required(flags.days, "--days D"),
    seed: required(flags.seed, "--seed S"),
    start: startOfDay(flags.start ?? DEFAULT_START),
  };
}

async function replayLanding(flags: Flags, reject: Reject, home: string): Promise<number> {
  const { from, iteration } = replaySource(flags, reject);
  const files = await replayToLanding(home, from, iteration);
  for (const file of files) {
    const note = file.outcome === "unchanged" ? " (already landed, same bytes)" : "";
    process.stdout.write(`${file.feed.padEnd(16)} ${path.relative(from, file.source)} → ${file.landedAs}${note}\n`);
  }
  process.stdout.write(`replayed iteration ${iteration}: ${files.length} files into ${path.join(home, "landing")}\n`);
  return 0;
}

async function syntheticLanding(flags: Flags, reject: Reject, home: string): Promise<number> {
  reject("--synthetic", ["from", "iteration"]);
  const config = syntheticConfig(flags);
  const started = performance.now();
  const result = await syntheticToLanding({
    home,
    config,
    batches: flags.batches ?? 1,
    gzip: flags.gzip ?? false,
    onProgress: (records) => process.stderr.write(`  … ${formatCounts(records)}\n`),
  });
  const seconds = (performance.now() - started) / 1000;
  for (const file of result.files) process.stdout.write(`${file.feed.padEnd(16)} ${String(file.records).padStart(10)}  ${file.path}\n`);
  const total = SOURCE_FEEDS.reduce((sum, feed) => sum + result.records[feed], 0);
  process.stdout.write(
    `generated ${total.toLocaleString("en-US")} records in ${result.files.length} files (${seconds.toFixed(1)} s, generation ${result.generation}): ${formatCounts(result.records)}\n`,
  );
  return 0;
}

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UserError(`produce: ${flag} is required with --synthetic`);
  return value;
}

function formatCounts(records: Readonly<Record<SourceFeed, number>>): string {
  return SOURCE_FEEDS.map((feed) => `${feed} ${records[feed].toLocaleString("en-US")}`).join(", ");
}
