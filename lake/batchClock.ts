import { randomBytes } from "node:crypto";

/**
 * Hands out `_ingested_at` instants and batch ids for one writer. Instants are microseconds since the epoch,
 * strictly increasing within the writer even if the wall clock steps back, because silver reads bronze
 * incrementally by `_ingested_at`.
 */
export class BatchClock {
  private lastMicros = 0n;

  nextMicros(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.lastMicros = now > this.lastMicros ? now : this.lastMicros + 1n;
    return this.lastMicros;
  }
}

/**
 * A batch id: the UTC instant (sorts by time as text) and a suffix that makes it unique across processes:
 * the caller's `tag` when the batch has a natural identity (a landing file), else pid + random bytes.
 * Example: `20250301T101502123456Z-3k9f-a1b2c3d4`.
 */
export function batchId(micros: bigint, tag?: string): string {
  const millis = Number(micros / 1000n);
  const sub = (micros % 1000000n).toString().padStart(6, "0");
  const stamp = new Date(millis).toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "");
  if (tag !== undefined && !/^[A-Za-z0-9_-]+$/.test(tag)) throw new Error(`batch tag '${tag}' must be [A-Za-z0-9_-]`);
  const suffix = tag ?? `${process.pid.toString(36)}-${randomBytes(4).toString("hex")}`;
  return `${stamp}${sub}Z-${suffix}`;
}
