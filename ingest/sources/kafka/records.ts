import type { KafkaMessage } from "kafkajs";
import type { BronzeRow } from "../../../lake/lakeWriter.js";
import type { MultiplexRecord, RecordRun } from "../../sink/multiplexBatch.js";
import { joinedKeys, plainPayloadRun } from "../../batchValidate.js";
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

/**
 * `messages[from..to)` as one run of valid records (multiplexBatch.ts), if the bulk check passes them all
 * (batchValidate.ts) and they fit the joined form: consecutive offsets (a compacted or transactional topic has gaps)
 * and the first incarnation (later ones store message ids). Otherwise undefined: the caller takes them one by one.
 */
export function recordRun(origin: MessageOrigin, messages: readonly KafkaMessage[], from: number, to: number): RecordRun | undefined {
  const run = messages.slice(from, to);
  const firstOffset = Number(run[0]!.offset);
  if (origin.incarnation !== 0 || Number(run[run.length - 1]!.offset) - firstOffset !== run.length - 1) return undefined;
  const values = plainPayloadRun(
    origin.feed,
    run.map((m) => m.value),
  );
  if (values === undefined) return undefined;
  const keys = joinedKeys(run.map((m) => m.key));
  if (keys === undefined) return undefined;
  const timestamps = run.map((m) => m.timestamp).join(",");
  return { topic: origin.feed, partition: origin.partition, firstOffset, count: run.length, keys, values, timestamps, source: origin.source };
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
