import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { z } from "zod";
import { commaList, parseVars } from "../lib/args.js";
import { UserError } from "../lib/errors.js";

/**
 * Commander argument parsers: each turns one flag's text into its value or refuses it with a reason,
 * which commander prints after the flag's name. None imports zod (it costs `pulse compile` ~80 ms);
 * `checkedBy` runs a zod schema a command already loads.
 */

/** Decimal digits only: "0x4", "1e3", "4.0" and "" are refused rather than read as numbers. */
export function wholeNumber(min: number, max?: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
    const n = Number(value);
    if (n < min || (max !== undefined && n > max)) throw new InvalidArgumentError(max === undefined ? `must be at least ${min}` : `must be between ${min} and ${max}`);
    return n;
  };
}

/** A non-negative number of seconds ("0", "2.5"). */
export function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError("expected a number of seconds");
  return Number(value);
}

/** A comma-separated list that names at least one item: an empty selection is a mistake, not "everything". */
export function nonEmptyList(value: string): string[] {
  const items = commaList(value);
  if (items.length === 0) throw new InvalidArgumentError("names nothing (leave the flag out to mean all)");
  return items;
}

/** `--vars k=v,...` as `dataform run` reads it. */
export function varsFlag(value: string): Record<string, string> {
  try {
    return parseVars(value);
  } catch (error) {
    if (error instanceof UserError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** A non-empty value (a name, an id). */
export function nonEmpty(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("is empty");
  return value;
}

/** Validates with a zod schema (formats zod describes better than a regex here would). */
export function checkedBy<T>(schema: z.ZodType<T, string>): (value: string) => T {
  return (value) => {
    const result = schema.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(result.error.issues.map((issue) => issue.message).join("; "));
    return result.data;
  };
}

/** `host:port,host:port` (Kafka bootstrap servers). */
export function brokerList(value: string): string[] {
  const brokers = commaList(value);
  if (brokers.length === 0) throw new InvalidArgumentError("needs at least one host:port");
  const bad = brokers.find((broker) => !/^[^\s:,]+:\d+$/.test(broker));
  if (bad !== undefined) throw new InvalidArgumentError(`'${bad}' is not host:port`);
  return brokers;
}
