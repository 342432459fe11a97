import type { StoredMessage } from "./lakeOffsets.js";

/** A message as the broker serves it: the fields that identify it next to its offset. */
export interface ServedMessage {
  offset: string;
  timestamp: string;
  value: Buffer | null;
}

export interface PartitionView {
  /** The highest offset of the partition's current incarnation durable in the lake, if any. */
  lakeHigh: number | undefined;
  /** The highest offset this process has taken (buffered or durable), if any. */
  handledHigh: number | undefined;
  /** The broker's end offset (next offset to be written). */
  highWatermark: number;
  /** The last message this process took from the partition, kept to re-check it after a topic went missing. */
  lastTaken: ServedMessage | undefined;
}

const text = new TextDecoder("utf-8");

/**
 * Why the partition the broker serves is not the one whose progress the lake holds (a topic deleted and
 * recreated under the same name, or a log truncated under us), or undefined when nothing says so. Offsets
 * of one partition only grow, so two things prove it:
 * - the broker's end offset is at or below an offset already taken;
 * - an offset the lake already holds is served with another message (timestamp or payload differ). The
 *   broker serves such offsets only on a replay (a crash between a lake write and its commit) or after a
 *   recreation, which also drops the group's committed offsets so the consumer starts over at 0; a replay
 *   serves the same messages, so comparing costs one lake query on a path that is rare.
 * An offset the lake has no row for (a dead letter, a transaction marker) proves nothing either way.
 * The last message taken is compared too: a running consumer keeps its position when its topic is deleted
 * and recreated, so after a fetch said the topic was missing the ingest seeks back to that message.
 */
export async function recreationEvidence(view: PartitionView, batch: readonly ServedMessage[], stored: (from: number, to: number) => Promise<Map<number, StoredMessage>>): Promise<string | undefined> {
  const taken = Math.max(view.lakeHigh ?? -1, view.handledHigh ?? -1);
  if (taken >= 0 && view.highWatermark >= 0 && view.highWatermark <= taken) {
    return `the broker's end offset ${view.highWatermark} is at or below offset ${taken}, already ingested`;
  }
  // Batches are in offset order: a batch that starts past an offset does not hold it (checked before scanning).
  const first = batch.length === 0 ? Number.POSITIVE_INFINITY : Number(batch[0]!.offset);
  const last = view.lastTaken;
  const again = last === undefined || first > Number(last.offset) ? undefined : batch.find((m) => m.offset === last.offset);
  if (last !== undefined && again !== undefined && !sameMessage(again, last.timestamp, last.value === null ? null : text.decode(last.value))) {
    return `offset ${last.offset} now holds another message than the one ingested from it`;
  }
  if (view.lakeHigh === undefined || first > view.lakeHigh) return undefined;
  const lakeHigh = view.lakeHigh;
  const replayed = batch.filter((m) => Number(m.offset) <= lakeHigh);
  if (replayed.length === 0) return undefined;
  const rows = await stored(Number(replayed[0]!.offset), Number(replayed[replayed.length - 1]!.offset));
  for (const message of replayed) {
    const row = rows.get(Number(message.offset));
    if (row === undefined) continue;
    if (!sameMessage(message, row.timestamp, row.value)) return `offset ${message.offset} now holds another message than the one ingested from it`;
  }
  return undefined;
}

function sameMessage(served: ServedMessage, timestamp: number | string, value: string | null): boolean {
  return Math.trunc(Number(served.timestamp)) === Math.trunc(Number(timestamp)) && (served.value === null ? null : text.decode(served.value)) === value;
}
