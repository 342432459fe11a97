import type { Admin } from "kafkajs";
import { sleep } from "./sleep.js";

export interface TopicRequest {
  topic: string;
  numPartitions: number;
}

/**
 * Creates the topics that do not exist yet and resolves once every partition of every topic has a leader;
 * returns each topic's partition count.
 *
 * kafkajs' own `waitForLeaders` gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
 * answers for a moment after creating a topic (its metadata lags its controller). A fresh broker in tests
 * hits that window often enough to fail a run, so readiness is polled here until the deadline instead.
 */
export async function ensureTopicsReady(admin: Admin, topics: TopicRequest[], timeoutMs = 30_000): Promise<Map<string, number>> {
  await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer";
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = metadata.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (leaderless.length === 0) return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      lastProblem = `no leader yet for ${leaderless.map((t) => t.name).join(", ")}`;
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true) throw error;
      lastProblem = String(error);
    }
    if (Date.now() >= deadline) throw new Error(`kafka topics ${names.join(", ")} were not ready within ${timeoutMs / 1000} s: ${lastProblem}`);
    await sleep(200);
  }
}
