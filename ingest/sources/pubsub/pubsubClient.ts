import { PubSub } from "@google-cloud/pubsub";
import { UserError } from "../../../lib/errors.js";
import { avoidMetadataServerProbe } from "../../../lib/googleAuth.js";

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

