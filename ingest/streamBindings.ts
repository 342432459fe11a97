import { UserError } from "../lib/errors.js";
import type { KafkaTopicBinding } from "./sources/kafka/kafkaIngest.js";
import type { SubscriptionBinding } from "./sources/pubsub/pubsubIngest.js";
import { STREAM_TOPICS, isStreamTopic } from "./schemas/topics.js";

/** Kafka: feeds (`bpm`, prefix applied) or `topic=feed` pairs naming a topic for a feed; all three feeds by default. */
export function kafkaTopicBindings(prefix: string, entries: readonly string[] = STREAM_TOPICS): KafkaTopicBinding[] {
  if (entries.length === 0) throw new UserError("--topics is empty");
  return entries.map((entry) => {
    const [name, feed] = entry.includes("=") ? (entry.split("=", 2) as [string, string]) : [`${prefix}${entry}`, entry];
    if (!isStreamTopic(feed)) throw new UserError(`--topics '${entry}': feed must be one of ${STREAM_TOPICS.join(", ")}`);
    return { brokerTopic: name, feed };
  });
}

/** Pub/Sub: `name=feed` pairs, or `<prefix><feed>` for the three feeds; topics are `<topic prefix><feed>`. */
export function pubsubSubscriptionBindings(options: { subscriptions?: string[]; subscriptionPrefix: string; topicPrefix: string }): SubscriptionBinding[] {
  if (options.subscriptions === undefined) {
    return STREAM_TOPICS.map((feed) => ({ subscription: `${options.subscriptionPrefix}${feed}`, feed, topic: `${options.topicPrefix}${feed}` }));
  }
  if (options.subscriptions.length === 0) throw new UserError("--subscriptions is empty");
  return options.subscriptions.map((entry) => {
    const [subscription, feed] = entry.split("=", 2);
    if (!subscription || feed === undefined || !isStreamTopic(feed)) {
      throw new UserError(`--subscriptions '${entry}': expected name=feed with feed one of ${STREAM_TOPICS.join(", ")}`);
    }
    return { subscription, feed, topic: `${options.topicPrefix}${feed}` };
  });
}
