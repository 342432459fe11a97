import { commaList } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import type { SubscriptionBinding } from "../../ingest/sources/pubsub/pubsubIngest.js";
import { startIngestWorker, type WorkerIngestService } from "../../ingest/worker/workerIngest.js";
import { STREAM_TOPICS, isStreamTopic } from "../../ingest/schemas/topics.js";

export interface PubsubFlags {
  projectId: string | undefined;
  subscriptions: string | undefined;
  subscriptionPrefix: string | undefined;
  topicPrefix: string;
  maxBatch: number;
  flushMs: number;
  progressMs: number;
}

export const DEFAULT_SUBSCRIPTION_PREFIX = "pulse-";

/** `--subscriptions name=feed,...` or `<prefix><feed>` for the three feeds; topics are `<topic-prefix><feed>`. */
export function subscriptionBindings(flags: Pick<PubsubFlags, "subscriptions" | "subscriptionPrefix" | "topicPrefix">): SubscriptionBinding[] {
  if (flags.subscriptions !== undefined && flags.subscriptionPrefix !== undefined) {
    throw new UserError("ingest: give --subscriptions or --subscription-prefix, not both");
  }
  if (flags.subscriptions === undefined) {
    const prefix = flags.subscriptionPrefix ?? DEFAULT_SUBSCRIPTION_PREFIX;
    return STREAM_TOPICS.map((feed) => ({ subscription: `${prefix}${feed}`, feed, topic: `${flags.topicPrefix}${feed}` }));
  }
  const entries = commaList(flags.subscriptions);
  if (entries.length === 0) throw new UserError("ingest: --subscriptions is empty");
  return entries.map((entry) => {
    const [subscription, feed] = entry.split("=", 2);
    if (!subscription || feed === undefined || !isStreamTopic(feed)) {
      throw new UserError(`ingest: --subscriptions '${entry}': expected name=feed with feed one of ${STREAM_TOPICS.join(", ")}`);
    }
    return { subscription, feed, topic: `${flags.topicPrefix}${feed}` };
  });
}

export async function startPubsub(flags: PubsubFlags, home: string, log: (line: string) => void): Promise<WorkerIngestService> {
  const projectId = flags.projectId ?? process.env.PUBSUB_PROJECT_ID ?? "pulse-local";
  const subscriptions = subscriptionBindings(flags);
  const where = process.env.PUBSUB_EMULATOR_HOST ? `emulator ${process.env.PUBSUB_EMULATOR_HOST}` : "Google Cloud";
  log(`project ${projectId} on ${where}: ${subscriptions.map((s) => s.subscription).join(", ")}`);
  const options = { home, projectId, subscriptions, maxBatch: flags.maxBatch, flushMs: flags.flushMs, progressMs: flags.progressMs };
  return startIngestWorker({ source: "pubsub", options }, log);
}
