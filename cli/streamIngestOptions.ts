import type { Command, OptionValues } from "@commander-js/extra-typings";
import type { IngestWorkerSpec } from "../ingest/worker/protocol.js";
import { kafkaTopicBindings, pubsubSubscriptionBindings } from "../ingest/streamBindings.js";
import { streamNames } from "../environments/streamNames.js";
import { UserError } from "../lib/errors.js";
import { type AnyCommand, brokersOption, givenFlags, pubsubProjectOption, rejectFlags, subscriptionPrefixOption, topicPrefixOption } from "./commonOptions.js";
import { nonEmpty, nonEmptyList, wholeNumber } from "./flagValues.js";

/** The Kafka / Pub/Sub ingest flags, shared by `pulse ingest` and `pulse stream`. */
export function withStreamIngestOptions<Args extends unknown[], Opts extends OptionValues>(command: Command<Args, Opts>) {
  return (
    command
      .addOption(brokersOption())
      .option("--group <group>", "Kafka consumer group (default: pulse-ingest, outside dev pulse-ingest-<env>)", nonEmpty)
      .addOption(topicPrefixOption())
      .option("--topics <feed|name=feed,...>", "Kafka: only these feeds (bpm,workout), or topic names for feeds (my-hr=bpm)", nonEmptyList)
      .addOption(pubsubProjectOption())
      .option("--subscriptions <name=feed,...>", "Pub/Sub: these subscriptions for these feeds", nonEmptyList)
      .addOption(subscriptionPrefixOption())
      // 100,000 rather than 20,000: each file costs a COPY, an fsync, a rename and an offset commit, and with five
      // times fewer of them a 400k backlog took 5.7 s of CPU instead of 8.4 s (bench/ingest.ts). Below 100k events/s
      // --flush-ms decides the file size anyway.
      .option("--max-batch <n>", "records per lake file", wholeNumber(1), 100_000)
      .option("--flush-ms <ms>", "longest a record waits before its batch is written", wholeNumber(1), 1000)
      .option("--progress-interval <seconds>", "seconds between progress lines", wholeNumber(1), 5)
  );
}

// The flags as declared above, on a command that declares nothing else (commander's own default type is `{}`).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type StreamIngestFlags = ReturnType<ReturnType<typeof withStreamIngestOptions<[], {}>>["opts"]>;

/** The typed options of the chosen source's service in `environment`; refuses the other source's flags. */
export function streamIngestSpec(source: "kafka" | "pubsub", home: string, environment: string, flags: StreamIngestFlags, command: AnyCommand): IngestWorkerSpec {
  const names = streamNames(environment);
  const batching = { maxBatch: flags.maxBatch, flushMs: flags.flushMs, progressMs: flags.progressInterval * 1000 };
  if (source === "kafka") {
    rejectFlags(command, ["projectId", "subscriptions", "subscriptionPrefix"], "--source kafka");
    return { source, options: { home, brokers: flags.brokers, group: flags.group ?? names.kafkaGroup, topics: kafkaTopicBindings(flags.topicPrefix, flags.topics), ...batching } };
  }
  rejectFlags(command, ["topics", "brokers", "group"], "--source pubsub (subscriptions are its groups)");
  if (givenFlags(command, ["subscriptions", "subscriptionPrefix"]).length === 2) throw new UserError("give --subscriptions or --subscription-prefix, not both");
  const subscriptions = pubsubSubscriptionBindings({ subscriptions: flags.subscriptions, subscriptionPrefix: flags.subscriptionPrefix ?? names.subscriptionPrefix, topicPrefix: flags.topicPrefix });
  return { source, options: { home, projectId: flags.projectId, subscriptions, ...batching } };
}
