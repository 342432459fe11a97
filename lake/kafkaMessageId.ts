/**
 * `bronze.kafka_multiplex.message_id` is a message's identity: `<topic>/<partition>/<offset>` for Kafka messages
 * and landing envelopes, the Pub/Sub message id for Pub/Sub. Lake files store it only where it cannot be derived
 * (Pub/Sub); elsewhere it is NULL in the file and derived on read. Building that string for every row was a
 * sixth of the landing load's CPU, and readers rarely need it.
 */

/** SQL that reads message_id from lake file columns (`message_id`, `topic`, `"partition"`, `"offset"`). */
export function kafkaMessageIdSql(): string {
  return `coalesce(CAST(message_id AS VARCHAR), topic || '/' || "partition" || '/' || "offset")`;
}

