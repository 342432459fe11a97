import type { RecreatedPartition } from "../../streamState.js";
import type { LakeOffsets } from "./lakeOffsets.js";
import { partitionKey } from "./lakeOffsets.js";

export interface KafkaPartitionStatus {
  /** The partition's current incarnation in the lake (0 unless the topic was recreated). */
  incarnation: number;
  /** Highest offset of that incarnation durable in the lake. */
  lakeOffset: number | null;
  lag: number | null;
  /** Set when the partition was, or looks, recreated: what happened and what the ingest does about it. */
  flag: string | null;
}

/**
 * `pulse ingest status` for one Kafka partition. A broker end offset below the lake's progress means the
 * topic was deleted and recreated (or truncated) since the last ingest: the lag counts the whole new
 * partition rather than going negative, and the row is flagged; the next ingest reads it as a new
 * incarnation (recreatedPartition.ts).
 */
export function kafkaPartitionStatus(
  lake: LakeOffsets,
  topic: string,
  partition: number,
  broker: { committed: number | null; endOffset: number | null },
  recorded: RecreatedPartition | undefined,
): KafkaPartitionStatus {
  const key = partitionKey(topic, partition);
  const incarnation = lake.incarnation(key);
  const lakeOffset = lake.get(key) ?? null;
  const { committed, endOffset } = broker;
  if (endOffset === null) return { incarnation, lakeOffset, lag: null, flag: recreatedFlag(incarnation, lake, key, recorded) };
  if (lakeOffset !== null && endOffset <= lakeOffset) {
    return {
      incarnation,
      lakeOffset,
      lag: endOffset,
      flag: `recreated: the broker's end offset ${endOffset} is at or below offset ${lakeOffset}, already ingested; the next ingest reads the partition from its start as incarnation ${incarnation + 1}`,
    };
  }
  const lag = Math.max(0, endOffset - Math.max(committed ?? 0, lakeOffset === null ? 0 : lakeOffset + 1));
  return { incarnation, lakeOffset, lag, flag: recreatedFlag(incarnation, lake, key, recorded) };
}

function recreatedFlag(incarnation: number, lake: LakeOffsets, key: string, recorded: RecreatedPartition | undefined): string | null {
  if (incarnation === 0) return null;
  const earlier = lake.incarnations(key).filter((i) => i.incarnation < incarnation);
  const ended = earlier.map((i) => `incarnation ${i.incarnation} ended at offset ${i.high ?? "-"}`).join(", ");
  const when = recorded?.incarnation === incarnation ? ` on ${recorded.detectedAt} (${recorded.reason})` : "";
  return `recreated${when}: ingested as incarnation ${incarnation} (ids <topic>@${incarnation}/<partition>/<offset>)${ended ? `; ${ended}` : ""}`;
}
