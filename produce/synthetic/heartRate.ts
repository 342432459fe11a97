import type { Random } from "../random.js";
import type { Visit } from "./fleet.js";
import type { BpmEvent } from "./syntheticEvent.js";

/** Per reading: how often a device sends a null or non-positive value, or a reading arrives late or twice. */
const INVALID_RATE = 1 / 4000;
const LATE_RATE = 1 / 20_000;
const DUPLICATE_RATE = 1 / 20_000;

/** How fast the heart rate approaches its target (per second) and how much it jitters. */
const RESPONSE = 0.01;
const JITTER = 2.5;

interface Wearing {
  visit: Visit;
  heartRate: number;
  /** Index of the current or next workout of the visit. */
  workout: number;
}

/**
 * One reading per second per worn device, swept second by second over the simulated time, so the stream
 * comes out in emit order without holding it in memory: only the devices worn right now and the few
 * delayed readings are kept.
 */
export function* heartRateReadings(visits: readonly Visit[], rng: Random): Generator<BpmEvent> {
  const byStart = [...visits].sort((a, b) => a.wornFrom - b.wornFrom || a.member.deviceId - b.member.deviceId);
  const delayed = new DelayedQueue();
  let active: Wearing[] = [];
  let next = 0;
  let invalidIn = rng.gap(INVALID_RATE);
  let lateIn = rng.gap(LATE_RATE);
  let duplicateIn = rng.gap(DUPLICATE_RATE);
  let second = byStart[0]?.wornFrom ?? 0;

  while (next < byStart.length || active.length > 0) {
    if (active.length === 0) second = Math.max(second, (byStart[next] as Visit).wornFrom);
    while (next < byStart.length && (byStart[next] as Visit).wornFrom <= second) {
      const visit = byStart[next++] as Visit;
      active.push({ visit, heartRate: visit.member.restingHr + 10, workout: 0 });
    }
    yield* delayed.due(second);

    let someEnded = false;
    for (const wearing of active) {
      let heartrate: number | null = Math.round(step(wearing, second, rng) * 100) / 100;
      if (--invalidIn === 0) {
        invalidIn = rng.gap(INVALID_RATE);
        heartrate = rng.chance(0.5) ? null : -rng.int(0, 3);
      }
      const reading: BpmEvent = { feed: "bpm", emitAt: second, deviceId: wearing.visit.member.deviceId, time: second, heartrate };
      if (--lateIn === 0) {
        lateIn = rng.gap(LATE_RATE);
        reading.emitAt += rng.int(5 * 60, 2 * 3600);
        delayed.add(reading);
      } else {
        yield reading;
        if (--duplicateIn === 0) {
          duplicateIn = rng.gap(DUPLICATE_RATE);
          delayed.add({ ...reading, emitAt: second + rng.int(1, 60) });
        }
      }
      if (wearing.visit.wornTo <= second) someEnded = true;
    }
    if (someEnded) active = active.filter((wearing) => wearing.visit.wornTo > second);
    second++;
  }
  yield* delayed.due(Infinity);
}

/** Mean-reverting jitter towards resting (plus a little) or the workout's effort level. */
function step(wearing: Wearing, second: number, rng: Random): number {
  const { workouts, member } = wearing.visit;
  while (wearing.workout < workouts.length && second > (workouts[wearing.workout]?.end ?? 0)) wearing.workout++;
  const workout = workouts[wearing.workout];
  const exercising = workout !== undefined && second >= workout.start;
  const target = exercising ? member.restingHr + workout.intensity * (member.maxHr - member.restingHr) : member.restingHr + 12;
  wearing.heartRate += (target - wearing.heartRate) * RESPONSE + (rng.next() - 0.5) * JITTER;
  return wearing.heartRate;
}

/** Readings held back for later delivery, released in emit order. Few, so a sorted array is enough. */
class DelayedQueue {
  /** Sorted by emitAt descending, so the next due reading is at the end. */
  private readonly items: BpmEvent[] = [];

  add(reading: BpmEvent): void {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.items[mid] as BpmEvent).emitAt > reading.emitAt) low = mid + 1;
      else high = mid;
    }
    this.items.splice(low, 0, reading);
  }

  *due(until: number): Generator<BpmEvent> {
    while (this.items.length > 0 && (this.items[this.items.length - 1] as BpmEvent).emitAt <= until) yield this.items.pop() as BpmEvent;
  }
}
