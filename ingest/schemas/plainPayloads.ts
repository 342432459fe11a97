import type { StreamTopic } from "./topics.js";

/**
 * Payloads in the form the devices send (`{"device_id": 1, "time": 1678410000, "heartrate": 41.2}`, every bpm
 * message of the data sets) that are valid by their shape alone: integers without leading zeros and below 2^53, a
 * time below 1e10, a finite heart rate or null, each key once, ASCII only. Anything else, valid or not, is parsed and
 * checked in full (zod on the stream, SQL on landing files), so a shape here may only ever accept what those checks
 * accept: tests/adversarial/landingPayloads.test.ts and tests/ingest/kafkaBatchValidation.test.ts hold them to it.
 * The patterns use the syntax JavaScript and DuckDB's RE2 share, and contain no newline (ingest/batchValidate.ts
 * relies on that to check a whole batch joined by newlines).
 */
export const PLAIN_PAYLOAD: Partial<Record<StreamTopic, string>> = {
  bpm: '\\{"device_id": ?(0|[1-9][0-9]{0,14}), ?"time": ?(0|[1-9][0-9]{0,9})(\\.[0-9]{1,20})?, ?"heartrate": ?(-?(0|[1-9][0-9]{0,14})(\\.[0-9]{1,20})?|null)\\}',
};
