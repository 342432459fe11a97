/** The feed names every layer shares (brief §3): the one list of each, so they cannot drift apart. */

/** The three landing-zone folders; each loads into the bronze table of the same name. */
export const LANDING_FEEDS = ["registered_users", "gym_logins", "kafka_multiplex"] as const;
export type LandingFeed = (typeof LANDING_FEEDS)[number];

/** The three Kafka / Pub/Sub topics; in the landing zone they share the kafka_multiplex folder. */
export const STREAM_TOPICS = ["user_info", "bpm", "workout"] as const;
export type StreamTopic = (typeof STREAM_TOPICS)[number];

export function isStreamTopic(name: string): name is StreamTopic {
  return (STREAM_TOPICS as readonly string[]).includes(name);
}
