import { z } from "zod";
import { commaList, parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import type { KafkaTopicBinding } from "../../ingest/sources/kafka/kafkaIngest.js";
import { startIngestWorker } from "../../ingest/worker/workerIngest.js";
import { STREAM_TOPICS, isStreamTopic, type StreamTopic } from "../../ingest/schemas/topics.js";

/** `pulse ingest --source kafka|pubsub` and `pulse ingest status` go here; landing stays in ingest.ts. */
export function isStreamIngest(argv: string[]): boolean {
  if (argv[0] === "status") return true;
  const index = argv.findIndex((a) => a === "--source" || a.startsWith("--source="));
  if (index < 0) return false;
  const value = argv[index]!.includes("=") ? argv[index]!.slice("--source=".length) : argv[index + 1];
  return value === "kafka" || value === "pubsub";
}

const USAGE = `usage:
  pulse ingest --source kafka [--brokers H:P,...] [--group G] [--topic-prefix P] [--topics T,...]
  pulse ingest --source pubsub [--project-id ID] [--subscription-prefix P | --subscriptions S,...] [--topic-prefix P]
  pulse ingest status [--brokers H:P,...] [--json]

  kafka:   --brokers (default 127.0.0.1:9092), --group (default pulse-ingest), --topic-prefix P reads
           <P>user_info, <P>bpm, <P>workout; --topics picks feeds (bpm,workout) or names topics (name=bpm)
  pubsub:  --project-id (default $PUBSUB_PROJECT_ID or pulse-local); subscriptions <prefix><feed>
           (default prefix pulse-) or --subscriptions name=feed,...; missing topics <topic-prefix><feed> and
           subscriptions are created (the emulator starts empty). Emulator: PUBSUB_EMULATOR_HOST.
  batching: --max-batch N (records per lake file, default 20000), --flush-ms MS (default 1000),
            --progress-interval S (seconds between progress lines, default 5)
Runs until SIGINT/SIGTERM, then writes what is buffered, commits/acks it and exits 0.
`;

export const STREAM_INGEST_OPTIONS = {
  source: { type: "string" },
  brokers: { type: "string" },
  group: { type: "string" },
  "topic-prefix": { type: "string" },
  topics: { type: "string" },
  "project-id": { type: "string" },
  subscriptions: { type: "string" },
  "subscription-prefix": { type: "string" },
  "max-batch": { type: "string" },
  "flush-ms": { type: "string" },
  "progress-interval": { type: "string" },
  json: { type: "boolean" },
} as const;

const positiveInt = z.string().regex(/^\d+$/, "expected a whole number").transform(Number).pipe(z.number().int().positive());
const brokerList = z
  .string()
  .transform((v) => commaList(v))
  .pipe(z.array(z.string().regex(/^[^\s:,]+:\d+$/, "expected host:port")).min(1, "at least one broker"));

export const StreamIngestFlags = z.object({
  help: z.boolean().optional(),
  source: z.enum(["kafka", "pubsub"]).optional(),
  brokers: brokerList.default(["127.0.0.1:9092"]),
  group: z.string().min(1).default("pulse-ingest"),
  "topic-prefix": z.string().default(""),
  topics: z.string().optional(),
  "project-id": z.string().min(1).optional(),
  subscriptions: z.string().optional(),
  "subscription-prefix": z.string().optional(),
  "max-batch": positiveInt.default(20_000),
  "flush-ms": positiveInt.default(1000),
  "progress-interval": positiveInt.default(5),
  json: z.boolean().optional(),
});
export type StreamIngestFlags = z.infer<typeof StreamIngestFlags>;

export async function main(argv: string[]): Promise<number> {
  const status = argv[0] === "status";
  const { flags, home } = parseCommandArgs("ingest", status ? argv.slice(1) : argv, STREAM_INGEST_OPTIONS, StreamIngestFlags);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (status) {
    const { ingestStatus } = await import("./ingestStatus.js");
    return ingestStatus(home, flags.brokers, flags.json === true);
  }
  if (flags.source === undefined) throw new UserError("ingest: --source is required (landing, kafka or pubsub)");
  const log = (line: string) => process.stderr.write(`ingest ${flags.source}: ${line}\n`);
  return runUntilSignal(await startStreamIngest(flags.source, flags, home, log), log);
}

/** A running stream ingest service: `pulse ingest` waits for a signal, `pulse stream` runs the graph beside it. */
export interface StreamIngestService {
  stop(): Promise<boolean>;
  failed: Promise<void>;
}

/** Validates the source's flags and starts its service. */
export async function startStreamIngest(source: "kafka" | "pubsub", flags: StreamIngestFlags, home: string, log: (line: string) => void): Promise<StreamIngestService> {
  if (source === "kafka") return startKafka(flags, home, log);
  rejectFlags(flags, ["topics"], "pubsub");
  if (flags.group !== "pulse-ingest") throw new UserError("ingest --source pubsub: --group does not apply (subscriptions are the groups)");
  const { startPubsub } = await import("./ingestPubsub.js");
  return startPubsub(
    {
      projectId: flags["project-id"],
      subscriptions: flags.subscriptions,
      subscriptionPrefix: flags["subscription-prefix"],
      topicPrefix: flags["topic-prefix"],
      maxBatch: flags["max-batch"],
      flushMs: flags["flush-ms"],
      progressMs: flags["progress-interval"] * 1000,
    },
    home,
    log,
  );
}

/** `--topics bpm,workout` (feeds, prefix applied) or `--topics my-hr=bpm` (a topic name for a feed). */
export function topicBindings(prefix: string, topics: string | undefined): KafkaTopicBinding[] {
  const entries = topics === undefined ? STREAM_TOPICS.map(String) : commaList(topics);
  if (entries.length === 0) throw new UserError("ingest: --topics is empty");
  return entries.map((entry) => {
    const [name, feed] = entry.includes("=") ? (entry.split("=", 2) as [string, string]) : [`${prefix}${entry}`, entry];
    if (!isStreamTopic(feed)) throw new UserError(`ingest: --topics '${entry}': feed must be one of ${STREAM_TOPICS.join(", ")}`);
    return { brokerTopic: name, feed: feed as StreamTopic };
  });
}

/**
 * Runs a stream service until SIGINT/SIGTERM, then stops it gracefully. A second signal while stopping
 * exits at once (the lake and the broker stay consistent: nothing unwritten was committed).
 */
export async function runUntilSignal(service: { stop(): Promise<boolean>; failed: Promise<void> }, log: (line: string) => void): Promise<number> {
  const signal = await new Promise<NodeJS.Signals | Error>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
    service.failed.catch((error: unknown) => resolve(error instanceof Error ? error : new Error(String(error))));
  });
  const forced = () => process.exit(130);
  process.once("SIGINT", forced);
  process.once("SIGTERM", forced);
  if (signal instanceof Error) {
    log(`stopping: ${signal.message}`);
    await service.stop();
    return 1;
  }
  log(`${signal}: draining, flushing and committing`);
  return (await service.stop()) ? 0 : 1;
}

async function startKafka(flags: StreamIngestFlags, home: string, log: (line: string) => void): Promise<StreamIngestService> {
  rejectFlags(flags, ["project-id", "subscriptions", "subscription-prefix"], "kafka");
  const topics = topicBindings(flags["topic-prefix"], flags.topics);
  log(`group ${flags.group} on ${flags.brokers.join(",")}: ${topics.map((t) => t.brokerTopic).join(", ")}`);
  const options = {
    home,
    brokers: flags.brokers,
    group: flags.group,
    topics,
    maxBatch: flags["max-batch"],
    flushMs: flags["flush-ms"],
    progressMs: flags["progress-interval"] * 1000,
  };
  return startIngestWorker({ source: "kafka", options }, log);
}

function rejectFlags(flags: StreamIngestFlags, names: (keyof StreamIngestFlags)[], source: string): void {
  const given = names.filter((n) => flags[n] !== undefined);
  if (given.length > 0) throw new UserError(`ingest --source ${source}: ${given.map((n) => `--${n}`).join(", ")} do(es) not apply`);
}
