import { Kafka, Partitioners, logLevel, type Message, type LogEntry } from "kafkajs";
import { ensureTopicsReady } from "../lib/kafkaTopics.js";
import { UserError } from "../lib/errors.js";
import type { ProducerRecord } from "./producerRecord.js";
import { Pacer } from "./sinkProgress.js";
import { sleep } from "../lib/sleep.js";

export interface KafkaSinkOptions {
  brokers: string[];
  /** Prepended to each record's topic: `<prefix>bpm`. */
  topicPrefix: string;
  /** Records per second; undefined sends as fast as the broker acknowledges. */
  rate?: number;
  /** Partitions for topics this call creates (existing topics are left as they are). */
  partitions: number;
  /**
   * Which time a message carries as its Kafka timestamp: the record's own (event time, as replayed) or
   * the moment it is handed to the producer, as a live device stamps a reading. `send` is what end-to-end
   * freshness is measured from (bench/stream.ts): replayed event times are days old.
   */
  timestamps?: "event" | "send";
  progressMs: number;
  log: (line: string) => void;
}

const MAX_SEND = 10_000;
/** sysexits' EX_UNAVAILABLE: the broker, not the input, is the problem. */
const BROKER_UNAVAILABLE_EXIT = 69;

/**
 * Sends records to Kafka (acks=all), creating missing topics first. One request is in flight at a time,
 * so records keep their order per partition; a replayed envelope's partition is kept when the topic has it.
 */
export async function produceToKafka(records: AsyncIterable<ProducerRecord>, opts: KafkaSinkOptions): Promise<number> {
  const kafka = new Kafka({
    clientId: `pulse-produce-${process.pid}`,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => opts.log(`kafka ${entry.label.toLowerCase()}: ${entry.log.message}`),
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 12 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  // Both settle before the error is reported, so no retry line of the other client follows it.
  const failed = (await Promise.allSettled([admin.connect(), producer.connect()])).find((r) => r.status === "rejected");
  if (failed !== undefined) {
    // kafkajs has retried for about 44 s by now. A broker that is down is the operator's to fix, not a bug: one line, no stack.
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    throw new UserError(`produce: Kafka is unreachable at ${opts.brokers.join(",")}: ${(failed.reason as Error).message}`, BROKER_UNAVAILABLE_EXIT);
  }
  const partitionCount = new Map<string, number>();
  const pacer = new Pacer(opts.rate, opts.log, opts.progressMs, "produce kafka");
  try {
    const ensureTopic = async (topic: string): Promise<number> => {
      const known = partitionCount.get(topic);
      if (known !== undefined) return known;
      const ready = await ensureTopicsReady(admin, [{ topic, numPartitions: opts.partitions }]);
      const count = ready.get(topic) ?? opts.partitions;
      partitionCount.set(topic, count);
      return count;
    };

    let pending = new Map<string, Message[]>();
    let pendingCount = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    const send = async () => {
      if (pendingCount === 0) return;
      const topicMessages = [...pending].map(([topic, messages]) => ({ topic, messages }));
      const n = pendingCount;
      pending = new Map();
      pendingCount = 0;
      // Build the next request while this one is on the wire, but never have two in flight (ordering).
      await inFlight;
      inFlight = producer.sendBatch({ topicMessages, acks: -1 }).then(() => pacer.add(n));
    };

    const chunk = pacer.chunkSize(MAX_SEND);
    for await (const record of records) {
      const topic = `${opts.topicPrefix}${record.topic}`;
      const partitions = await ensureTopic(topic);
      const timestamp = opts.timestamps === "send" ? Date.now() : record.timestamp;
      const message: Message = { key: record.key, value: record.value, timestamp: String(timestamp) };
      if (record.partition !== undefined && record.partition < partitions) message.partition = record.partition;
      const list = pending.get(topic);
      if (list) list.push(message);
      else pending.set(topic, [message]);
      pendingCount += 1;
      if (pendingCount >= chunk) {
        await send();
        const wait = pacer.delayMs();
        if (wait > 0) await sleep(wait);
      }
    }
    await send();
    await inFlight;
    opts.log(pacer.summary());
    return pacer.count;
  } finally {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
}
