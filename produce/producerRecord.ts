import { z } from "zod";
import { STREAM_TOPICS, type StreamTopic } from "../lib/feeds.js";

/**
 * One message for a Kafka or Pub/Sub sink. `value` is the topic payload as a JSON string (the same bytes
 * a landing file carries in its envelope's `value`); `timestamp` is epoch milliseconds, Kafka's unit.
 * `partition` is set when the source names one (a replayed envelope); otherwise the sink partitions by key.
 */
export interface ProducerRecord {
  topic: StreamTopic;
  key: string;
  value: string;
  timestamp: number;
  partition?: number;
}

/** A kafka_multiplex landing line (brief §6). */
export const kafkaEnvelopeSchema = z.object({
  key: z.string().nullable(),
  value: z.string(),
  topic: z.enum(STREAM_TOPICS),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  timestamp: z.number(),
});
export type KafkaEnvelope = z.infer<typeof kafkaEnvelopeSchema>;

/** Envelope timestamps are seconds in the reference files and milliseconds from real brokers. */
const MILLISECONDS_FROM = 1e11;

export function envelopeToRecord(envelope: KafkaEnvelope): ProducerRecord {
  const timestamp = envelope.timestamp < MILLISECONDS_FROM ? Math.round(envelope.timestamp * 1000) : Math.round(envelope.timestamp);
  return { topic: envelope.topic, key: envelope.key ?? "", value: envelope.value, timestamp, partition: envelope.partition };
}
