/**
 * A Kafka partition's incarnation. Kafka 3.9 gives topics ids, but kafkajs 2.2.4 speaks metadata v6, which
 * has none; so a topic deleted and recreated under the same name is recognised by its offsets (see
 * recreatedPartition.ts), and the ingest numbers what it reads: 0 for the partition as first ingested, n after
 * its n-th recreation. The number is part of the rows' provenance, `_source` = `kafka:<topic>@<n>` (plain
 * `kafka:<topic>` for 0, as in every lake file written before incarnations existed), so the lake itself records
 * each partition's incarnation and its progress in it. `@` cannot occur in a Kafka topic name.
 */
export function kafkaSource(brokerTopic: string, incarnation: number): string {
  return incarnation === 0 ? `kafka:${brokerTopic}` : `kafka:${brokerTopic}@${incarnation}`;
}

/** The broker topic and incarnation of a `kafka:` provenance value; undefined for other sources. */
export function parseKafkaSource(source: string): { brokerTopic: string; incarnation: number } | undefined {
  const match = /^kafka:([^@]+)(?:@(\d+))?$/.exec(source);
  if (!match) return undefined;
  return { brokerTopic: match[1]!, incarnation: match[2] === undefined ? 0 : Number(match[2]) };
}

/** `<topic>[@<n>]/<partition>/<offset>`: a dead letter's `source`, unique across incarnations like message ids. */
export function kafkaCoordinates(brokerTopic: string, incarnation: number, partition: number, offset: string | number): string {
  return `${incarnation === 0 ? brokerTopic : `${brokerTopic}@${incarnation}`}/${partition}/${offset}`;
}
