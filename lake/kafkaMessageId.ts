/**
 * `bronze.kafka_multiplex.message_id` is a message's identity: `<topic>/<partition>/<offset>` for Kafka messages
 * and landing envelopes, the Pub/Sub message id for Pub/Sub. Lake files store it only where it cannot be derived
 * (Pub/Sub, and Kafka partitions of a recreated topic, below); elsewhere it is NULL in the file and derived on
 * read. Building that string for every row was a sixth of the landing load's CPU, and readers rarely need it.
 */

/**
 * The message_id a Kafka row stores. A topic deleted and recreated restarts its offsets at 0, so the ingest
 * numbers each partition's incarnations (ingest/sources/kafka/incarnation.ts): incarnation 0 keeps the derived
 * `<topic>/<partition>/<offset>` (NULL in the file, as every lake file written before incarnations existed);
 * a later one stores `<topic>@<n>/<partition>/<offset>`. Kafka topic names cannot contain `@`, so no id of one
 * incarnation equals an id of another.
 */
export function storedKafkaMessageId(topic: string, partition: number, offset: number, incarnation: number): string | null {
  return incarnation === 0 ? null : `${topic}@${incarnation}/${partition}/${offset}`;
}

/** SQL that reads message_id from lake file columns (`message_id`, `topic`, `"partition"`, `"offset"`). */
export function kafkaMessageIdSql(): string {
  return `coalesce(CAST(message_id AS VARCHAR), topic || '/' || "partition" || '/' || "offset")`;
}
