import type { ProducerRecord } from "../producerRecord.js";
import type { SyntheticConfig } from "./config.js";
import { syntheticEvents } from "./events.js";
import { kafkaMessage } from "./render.js";

/**
 * The Kafka topics of the synthetic data set, in emit order, for the Kafka and Pub/Sub sinks: the same
 * messages the landing files carry (late ones late, duplicates twice). No partition: the sink's
 * partitioner keys by device or user, as real producers do.
 */
export async function* syntheticRecords(config: SyntheticConfig): AsyncGenerator<ProducerRecord> {
  for (const event of syntheticEvents(config)) {
    if (event.feed === "registered_users" || event.feed === "gym_logins") continue;
    yield { ...kafkaMessage(event), timestamp: event.emitAt * 1000 };
  }
}
