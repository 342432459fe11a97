import path from "node:path";
import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { SOURCE_FEEDS, type SourceFeed } from "../../produce/dataSetLayout.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { replayRecords, replayToLanding } from "../../produce/replay.js";
import { syntheticRecords } from "../../produce/synthetic/records.js";
import { produceToKafka } from "../../produce/toKafka.js";
import { produceToPubsub } from "../../produce/toPubsub.js";
import { DEFAULT_START, startDateSchema, startOfDay, type SyntheticConfig } from "../../produce/synthetic/config.js";
import { syntheticToLanding } from "../../produce/synthetic/toLanding.js";

const USAGE = `usage:
  pulse produce --to landing --from DIR --iteration N
  pulse produce --to landing --synthetic --users N --days D --seed S [--start YYYY-MM-DD] [--batches K] [--gzip]
  pulse produce --to kafka (--from DIR --iteration N | --synthetic …) [--brokers H:P,…] [--topic-prefix P] [--rate R] [--partitions N]

  --from DIR         a data set laid out like the reference (1-registered_users_N.csv, …, 5-gym_logins_N.csv, any depth)
  --iteration N      which set to replay: files ending in _N
  --synthetic        generate a deterministic fleet instead
  --users N --days D size of the fleet and of the simulated period
  --seed S           same seed, same bytes
  --start DATE       first simulated day (UTC), default ${DEFAULT_START}
  --batches K        split the period into K slices, one set of files each (default 1)
  --gzip             gzip every generated file
  --brokers LIST     Kafka bootstrap servers (default 127.0.0.1:9092)
  --topic-prefix P   send to <P>user_info, <P>bpm, <P>workout (default none)
  --rate R           messages per second (default: as fast as the broker acknowledges)
  --partitions N     partitions of topics that do not exist yet (default 3)
  --timestamps event|send  Kafka message timestamp: the record's event time (default) or the time it is
                     sent, as a live device stamps it (for measuring produce → visible freshness)
  pulse produce --to pubsub (--from DIR --iteration N | --synthetic …) [--project-id ID] [--topic-prefix P]
                [--subscription-prefix S] [--rate R]
  --project-id ID    Pub/Sub project (default $PUBSUB_PROJECT_ID or pulse-local); the emulator via PUBSUB_EMULATOR_HOST
  --subscription-prefix S  subscriptions <S><feed> created before publishing, so the emulator keeps the
                     messages for 'pulse ingest --source pubsub' (default pulse-, its default)
`;

const OPTIONS = {
  to: { type: "string" },
  from: { type: "string" },
  iteration: { type: "string" },
  synthetic: { type: "boolean" },
  users: { type: "string" },
  days: { type: "string" },
  seed: { type: "string" },
  start: { type: "string" },
  batches: { type: "string" },
  gzip: { type: "boolean" },
  brokers: { type: "string" },
  "topic-prefix": { type: "string" },
  rate: { type: "string" },
  partitions: { type: "string" },
  timestamps: { type: "string" },
  "project-id": { type: "string" },
  "subscription-prefix": { type: "string" },
} as const;

const count = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min));

const flagsSchema = z.object({
  help: z.boolean().optional(),
  to: z.enum(["landing", "kafka", "pubsub"], { message: "expected landing, kafka or pubsub" }).optional(),
  from: z.string().optional(),
  iteration: count(1).optional(),
  synthetic: z.boolean().optional(),
  users: count(1).optional(),
  days: count(1).optional(),
  seed: count(0).optional(),
  start: startDateSchema.optional(),
  batches: count(1).optional(),
  gzip: z.boolean().optional(),
  brokers: z.string().optional(),
  "topic-prefix": z.string().optional(),
  rate: count(1).optional(),
  partitions: count(1).optional(),
  timestamps: z.enum(["event", "send"], { message: "expected event or send" }).optional(),
  "project-id": z.string().min(1).optional(),
  "subscription-prefix": z.string().optional(),
});
type Flags = z.infer<typeof flagsSchema>;

export async function main(argv: string[]): Promise<number> {
  const { flags, home } = parseCommandArgs("produce", argv, OPTIONS, flagsSchema);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (flags.to) {
    case undefined:
      throw new UserError("produce: --to is required (landing, kafka or pubsub)");
    case "landing":
      return flags.synthetic ? syntheticLanding(flags, home) : replayLanding(flags, home);
    case "kafka":
      return kafka(flags);
    case "pubsub":
      return pubsub(flags);
  }
}

const KAFKA_FLAGS: (keyof Flags)[] = ["brokers", "topic-prefix", "rate", "partitions", "timestamps"];

async function kafka(flags: Flags): Promise<number> {
  rejectFlags(flags, ["batches", "gzip"], "--to kafka");
  const brokers = (flags.brokers ?? "127.0.0.1:9092").split(",").map((b) => b.trim()).filter((b) => b !== "");
  if (brokers.length === 0) throw new UserError("produce: --brokers needs at least one host:port");
  const sent = await produceToKafka(records(flags), {
    brokers,
    topicPrefix: flags["topic-prefix"] ?? "",
    rate: flags.rate,
    partitions: flags.partitions ?? 3,
    timestamps: flags.timestamps,
    progressMs: 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`sent ${sent.toLocaleString("en-US")} messages to Kafka (${brokers.join(",")})\n`);
  return 0;
}

/** The message stream a sink sends: a replayed iteration or the synthetic fleet. */
async function pubsub(flags: Flags): Promise<number> {
  rejectFlags(flags, ["batches", "gzip", "brokers", "partitions", "timestamps"], "--to pubsub");
  const projectId = flags["project-id"] ?? process.env.PUBSUB_PROJECT_ID ?? "pulse-local";
  const sent = await produceToPubsub(records(flags), {
    projectId,
    topicPrefix: flags["topic-prefix"] ?? "",
    subscriptionPrefix: flags["subscription-prefix"] ?? "pulse-",
    rate: flags.rate,
    progressMs: 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`sent ${sent.toLocaleString("en-US")} messages to Pub/Sub (project ${projectId}${process.env.PUBSUB_EMULATOR_HOST ? `, emulator ${process.env.PUBSUB_EMULATOR_HOST}` : ""})\n`);
  return 0;
}

function records(flags: Flags): AsyncIterable<ProducerRecord> {
  if (flags.synthetic) {
    rejectFlags(flags, ["from", "iteration"], "--synthetic");
    return syntheticRecords(syntheticConfig(flags));
  }
  const { from, iteration } = replaySource(flags);
  return replayRecords(from, iteration);
}

function replaySource(flags: Flags): { from: string; iteration: number } {
  if (flags.from === undefined) throw new UserError("produce: --from DIR is required (or --synthetic)");
  if (flags.iteration === undefined) throw new UserError("produce: --iteration N is required with --from");
  rejectFlags(flags, ["users", "days", "seed", "start", "batches", "gzip"], "--from");
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

async function replayLanding(flags: Flags, home: string): Promise<number> {
  rejectFlags(flags, KAFKA_FLAGS, "--to landing");
  const { from, iteration } = replaySource(flags);
  const files = await replayToLanding(home, from, iteration);
  for (const file of files) {
    const note = file.outcome === "unchanged" ? " (already landed, same bytes)" : "";
    process.stdout.write(`${file.feed.padEnd(16)} ${path.relative(from, file.source)} → ${file.landedAs}${note}\n`);
  }
  process.stdout.write(`replayed iteration ${iteration}: ${files.length} files into ${path.join(home, "landing")}\n`);
  return 0;
}

async function syntheticLanding(flags: Flags, home: string): Promise<number> {
  rejectFlags(flags, ["from", "iteration", ...KAFKA_FLAGS], "--synthetic --to landing");
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

function rejectFlags(flags: Flags, names: (keyof Flags)[], mode: string): void {
  const given = names.filter((name) => flags[name] !== undefined);
  if (given.length > 0) throw new UserError(`produce: ${given.map((name) => `--${name}`).join(", ")} cannot be combined with ${mode}`);
}

function formatCounts(records: Readonly<Record<SourceFeed, number>>): string {
  return SOURCE_FEEDS.map((feed) => `${feed} ${records[feed].toLocaleString("en-US")}`).join(", ");
}
