/**
 * Kafka record timestamps arrive as epoch seconds from some producers and epoch milliseconds from others.
 * At or above this value a timestamp is read as milliseconds: 1e11 s is the year 5138, 1e11 ms is March 1973,
 * so no real event is ambiguous.
 */
export const KAFKA_MILLIS_THRESHOLD = 100_000_000_000;

/** SQL: the UTC DATE of a BIGINT Kafka timestamp expression (seconds or milliseconds). */
export function kafkaTimestampDateSql(timestamp: string): string {
  return `CAST(make_timestamp(CASE WHEN ${timestamp} >= ${KAFKA_MILLIS_THRESHOLD} THEN ${timestamp} * 1000 ELSE ${timestamp} * 1000000 END) AS DATE)`;
}

/** JS twin of `kafkaTimestampDateSql` for the row path: 'YYYY-MM-DD' (UTC). */
export function kafkaTimestampDate(timestamp: number | bigint): string {
  const value = Number(timestamp);
  const millis = value >= KAFKA_MILLIS_THRESHOLD ? value : value * 1000;
  return new Date(millis).toISOString().slice(0, 10);
}
