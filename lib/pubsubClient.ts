import { PubSub } from "@google-cloud/pubsub";
import { UserError } from "./errors.js";
import { avoidMetadataServerProbe } from "./googleAuth.js";

/**
 * A Pub/Sub client for the emulator (PUBSUB_EMULATOR_HOST) or Google Cloud. Without the emulator, the
 * credentials are checked up front: otherwise the client fails later, deep in a background promise,
 * with a stack trace instead of a message.
 */
export async function openPubSub(projectId: string): Promise<PubSub> {
  avoidMetadataServerProbe();
  const pubsub = new PubSub({ projectId });
  if (!process.env.PUBSUB_EMULATOR_HOST) {
    try {
      await pubsub.auth.getClient();
    } catch (error) {
      await pubsub.close();
      throw new UserError(
        `Pub/Sub: PUBSUB_EMULATOR_HOST is not set and no Google credentials were found (${(error as Error).message.split(".")[0]}). ` +
          "Start the emulator (npm run services:up) and set PUBSUB_EMULATOR_HOST=127.0.0.1:8085, or configure Application Default Credentials.",
      );
    }
  }
  return pubsub;
}

/**
 * Creates the topic and the subscription if missing. The emulator starts empty and drops messages
 * published to a topic with no subscription, so both the producer and the ingest service call this.
 * Returns true when it created the subscription. A subscription of that name on another topic is refused: the
 * names do not carry the topic prefix, and reading it would quietly ingest some other topic's messages.
 */
export async function ensureSubscription(pubsub: PubSub, subscription: string, topic: string): Promise<boolean> {
  const t = pubsub.topic(topic);
  // One call both ways: the client's exists() is this getMetadata with NOT_FOUND (5) read as false.
  const existing = await pubsub
    .subscription(subscription)
    .getMetadata()
    .then(
      ([metadata]) => metadata,
      (error: { code?: number }) => {
        if (error.code === 5) return undefined;
        throw error;
      },
    );
  if (existing) {
    if (existing.topic !== t.name) {
      throw new UserError(`Pub/Sub subscription '${subscription}' reads topic '${String(existing.topic).split("/").pop()}', not '${topic}': give another --subscription-prefix, or delete it`);
    }
    return false;
  }
  const [topicExists] = await t.exists();
  if (!topicExists) await t.create().catch(ignoreAlreadyExists);
  await t.createSubscription(subscription, { ackDeadlineSeconds: 60 }).catch(ignoreAlreadyExists);
  return true;
}

/** gRPC ALREADY_EXISTS: another process created it between our check and our create. */
function ignoreAlreadyExists(error: { code?: number }): void {
  if (error.code !== 6) throw error;
}
