import type { PubSub } from "@google-cloud/pubsub";

/**
 * Creates the topic and the subscription if missing. The emulator starts empty and drops messages
 * published to a topic with no subscription, so both the producer and the ingest service call this.
 * Returns true when it created the subscription.
 */
export async function ensureSubscription(pubsub: PubSub, subscription: string, topic: string): Promise<boolean> {
  const [exists] = await pubsub.subscription(subscription).exists();
  if (exists) return false;
  const t = pubsub.topic(topic);
  const [topicExists] = await t.exists();
  if (!topicExists) await t.create().catch(ignoreAlreadyExists);
  await t.createSubscription(subscription, { ackDeadlineSeconds: 60 }).catch(ignoreAlreadyExists);
  return true;
}

/** gRPC ALREADY_EXISTS: another process created it between our check and our create. */
function ignoreAlreadyExists(error: { code?: number }): void {
  if (error.code !== 6) throw error;
}
