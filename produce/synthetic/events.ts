import { Random } from "../random.js";
import type { SyntheticConfig } from "./config.js";
import { buildFleet } from "./fleet.js";
import { heartRateReadings } from "./heartRate.js";
import { lowVolumeEvents } from "./reports.js";
import type { SyntheticEvent } from "./syntheticEvent.js";

/**
 * The whole synthetic data set of `config`, every feed, in emit order (non-decreasing `emitAt`). A pure
 * function of the config: landing files, batches and Kafka streams are all cut from this one sequence.
 */
export function* syntheticEvents(config: SyntheticConfig): Generator<SyntheticEvent> {
  const rng = new Random(`pulse-synthetic:${config.seed}`);
  const fleet = buildFleet(config, rng);
  const others = lowVolumeEvents(config, fleet, rng);
  let i = 0;
  for (const reading of heartRateReadings(fleet.visits, rng)) {
    while (i < others.length && (others[i] as SyntheticEvent).emitAt <= reading.emitAt) yield others[i++] as SyntheticEvent;
    yield reading;
  }
  while (i < others.length) yield others[i++] as SyntheticEvent;
}
