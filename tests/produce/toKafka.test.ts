import { describe, expect, it } from "vitest";
import type { KafkaMessage } from "kafkajs";
import { produceToKafka } from "../../produce/toKafka.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { KAFKA_BROKERS, kafkaClient, uniquePrefix, waitFor } from "../ingest/helpers.js";

const HISTORICAL_MS = Date.UTC(2023, 2, 10, 12);

async function* records(count: number): AsyncGenerator<ProducerRecord> {
  for (let i = 0; i < count; i++) {
    yield { topic: "bpm", key: "7", value: JSON.stringify({ device_id: 7, time: HISTORICAL_MS / 1000 + i, heartrate: 70 }), timestamp: HISTORICAL_MS + i * 1000, partition: 0 };
  }
}

/** Every message of a topic, read from the beginning by a throwaway consumer group. */
async function readTopic(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer = kafkaClient().consumer({ groupId: `${topic}-reader` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(`${expected} messages on ${topic}`, async () => messages.length >= expected, 60_000);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

describe("pulse produce --to kafka timestamps", { timeout: 120_000 }, () => {
  it("stamps each message with its record's event time by default, and with the send time under --timestamps send", async () => {
    const prefix = uniquePrefix("stamps");
    const quiet = () => undefined;
    await produceToKafka(records(3), { brokers: [KAFKA_BROKERS], topicPrefix: `${prefix}event-`, partitions: 1, progressMs: 60_000, log: quiet });
    const before = Date.now();
    await produceToKafka(records(3), { brokers: [KAFKA_BROKERS], topicPrefix: `${prefix}send-`, partitions: 1, progressMs: 60_000, log: quiet, timestamps: "send" });
    const after = Date.now();

    const event = (await readTopic(`${prefix}event-bpm`, 3)).map((m) => Number(m.timestamp)).sort();
    expect(event).toEqual([HISTORICAL_MS, HISTORICAL_MS + 1000, HISTORICAL_MS + 2000]);
    const sent = (await readTopic(`${prefix}send-bpm`, 3)).map((m) => Number(m.timestamp));
    for (const stamp of sent) {
      expect(stamp).toBeGreaterThanOrEqual(before);
      expect(stamp).toBeLessThanOrEqual(after);
    }
  });
});
