import { z } from "zod";
import { hashString } from "../random.js";

/** The parameters that fully determine a synthetic data set: same config, same bytes. */
export interface SyntheticConfig {
  users: number;
  days: number;
  seed: number;
  /** Epoch seconds of the first simulated day, 00:00 UTC. */
  start: number;
}

/** The reference data set's first day, so output without `--start` does not depend on when it is generated. */
export const DEFAULT_START = "2023-03-10";

export const startDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), "not a calendar date");

export function startOfDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/**
 * Kafka offsets the landing envelopes of this config start at. Equal configs give equal offsets (a rerun
 * is a redelivery of the same messages); different configs land far apart, so their messages never share
 * (topic, partition, offset) coordinates.
 */
export function offsetBase(config: SyntheticConfig): number {
  const slot = hashString(`${config.seed}|${config.start}|${config.users}|${config.days}`) % 2 ** 24;
  return slot * 2 ** 28;
}
