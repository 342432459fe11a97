import type { KafkaMessage } from "kafkajs";
import type { BronzeRow } from "../../../lake/lakeWriter.js";
import type { MultiplexRecord } from "../../sink/multiplexBatch.js";
import type { StreamTopic } from "../../schemas/topics.js";

/** Where a message came from: the broker's topic name (with any prefix) and the feed it carries. */
export interface MessageOrigin {
  brokerTopic: string;
  feed: StreamTopic;
  partition: number;
}

/** A valid message as a `bronze.kafka_multiplex` row: topic without the prefix, provenance with it. */
export function multiplexRecord(origin: MessageOrigin, message: KafkaMessage, value: string): MultiplexRecord {
  return {
    key: message.key === null ? null : message.key.toString("utf8"),
    value,
    topic: origin.feed,
    partition: origin.partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    // Derived from the coordinates on read (lake/kafkaMessageId.ts).
    messageId: null,
    source: `kafka:${origin.brokerTopic}`,
  };
}

/** A rejected message as a `bronze.dead_letters` row, with the bytes exactly as received. */
export function deadLetterRow(origin: MessageOrigin, message: KafkaMessage, reason: string, at: Date): BronzeRow {
  return {
    source: `${origin.brokerTopic}/${origin.partition}/${message.offset}`,
    feed: origin.feed,
    line: null,
    raw: message.value ?? new Uint8Array(0),
    reason,
    dead_lettered_at: at,
    _source: `kafka:${origin.brokerTopic}`,
    _source_line: null,
  };
}
