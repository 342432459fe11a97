import type { KafkaMessage } from "kafkajs";
import type { BronzeRow } from "../../../lake/lakeWriter.js";
import type { MultiplexRecord } from "../../sink/multiplexBatch.js";
import type { StreamTopic } from "../../schemas/topics.js";
import { storedKafkaMessageId } from "../../../lake/kafkaMessageId.js";
import { kafkaCoordinates } from "./incarnation.js";

/** Where a message came from: the broker's topic name (with any prefix), the feed it carries, the partition's incarnation. */
export interface MessageOrigin {
  brokerTopic: string;
  feed: StreamTopic;
  partition: number;
  incarnation: number;
  /** `kafkaSource(brokerTopic, incarnation)`, built once per batch rather than per message. */
  source: string;
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
    // Incarnation 0 leaves it NULL: readers derive it from the coordinates (lake/kafkaMessageId.ts).
    messageId: storedKafkaMessageId(origin.feed, origin.partition, Number(message.offset), origin.incarnation),
    source: origin.source,
  };
}

/** A rejected message as a `bronze.dead_letters` row, with the bytes exactly as received. */
export function deadLetterRow(origin: MessageOrigin, message: KafkaMessage, reason: string, at: Date): BronzeRow {
  return {
    source: kafkaCoordinates(origin.brokerTopic, origin.incarnation, origin.partition, message.offset),
    feed: origin.feed,
    line: null,
    raw: message.value ?? new Uint8Array(0),
    reason,
    dead_lettered_at: at,
    _source: origin.source,
    _source_line: null,
  };
}
