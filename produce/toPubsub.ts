import type { Topic } from "@google-cloud/pubsub";
import { ensureSubscription, openPubSub } from "../lib/pubsubClient.js";
import type { ProducerRecord } from "./producerRecord.js";
import { Pacer } from "./sinkProgress.js";
import { sleep } from "../lib/sleep.js";

export interface PubsubSinkOptions {
  projectId: string;
  /** Topics are `<topicPrefix><feed>`. */
  topicPrefix: string;
  /** Subscriptions `<prefix><feed>` created before publishing, so the emulator keeps the messages for ingest. */
  subscriptionPrefix: string;
  rate?: number;
  progressMs: number;
  log: (line: string) => void;
}

/** Enough publishes in flight to fill the client's batches without holding an unbounded backlog. */
const MAX_OUTSTANDING = 5000;

/**
 * Publishes records to Pub/Sub (the emulator when PUBSUB_EMULATOR_HOST is set). The payload is the message
 * data; the Kafka envelope's key and timestamp (ms) travel as attributes `key` and `timestamp`.
 */
export async function produceToPubsub(records: AsyncIterable<ProducerRecord>, opts: PubsubSinkOptions): Promise<number> {
  const pubsub = await openPubSub(opts.projectId);
  const topics = new Map<string, Topic>();
  const pacer = new Pacer(opts.rate, opts.log, opts.progressMs, "produce pubsub");
  const outstanding = new Set<Promise<unknown>>();
  let failure: unknown;
  try {
    for await (const record of records) {
      let topic = topics.get(record.topic);
      if (!topic) {
        const name = `${opts.topicPrefix}${record.topic}`;
        await ensureSubscription(pubsub, `${opts.subscriptionPrefix}${record.topic}`, name);
        topic = pubsub.topic(name, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
        topics.set(record.topic, topic);
      }
      const sent = topic.publishMessage({ data: Buffer.from(record.value, "utf8"), attributes: { key: record.key, timestamp: String(record.timestamp) } }).then(
        () => pacer.add(1),
        (error: unknown) => {
          failure ??= error;
        },
      );
      outstanding.add(sent);
      void sent.finally(() => outstanding.delete(sent));
      if (failure) throw failure;
      if (outstanding.size >= MAX_OUTSTANDING) await Promise.race(outstanding);
      const wait = pacer.delayMs();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(outstanding);
    if (failure) throw failure;
    opts.log(pacer.summary());
    return pacer.count;
  } finally {
    await pubsub.close();
  }
}
