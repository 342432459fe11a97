import { DEFAULT_ENVIRONMENT } from "./defaultEnvironment.js";

/** What an environment's stream ingest subscribes as, unless `--group` / `--subscription-prefix` say otherwise. */
export interface StreamNames {
  /** The Kafka consumer group. */
  kafkaGroup: string;
  /** Pub/Sub subscriptions are `<prefix><feed>`. */
  subscriptionPrefix: string;
}

/**
 * Every environment reads the same topics, so each needs a consumer group and subscriptions of its own: members of one
 * group split the partitions between them, and subscribers of one subscription split its messages, so a qa ingest
 * service sharing dev's names would take part of dev's stream and each environment's bronze would miss the rest. The
 * default environment keeps the names pulse used before environments, so an existing dev service resumes where it
 * was: a Pub/Sub subscription created anew holds no message published before its creation.
 */
export function streamNames(environment: string): StreamNames {
  if (environment === DEFAULT_ENVIRONMENT) return { kafkaGroup: "pulse-ingest", subscriptionPrefix: "pulse-" };
  return { kafkaGroup: `pulse-ingest-${environment}`, subscriptionPrefix: `pulse-${environment}-` };
}
