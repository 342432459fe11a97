import { z } from "zod";

/** Parses "5s", "500ms", "2m" or a bare number of seconds into milliseconds. */
export const durationMs = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m)?$/, "expected a duration like 5s, 500ms or 2m")
  .transform((text) => {
    const value = Number.parseFloat(text);
    if (text.endsWith("ms")) return value;
    if (text.endsWith("m")) return value * 60_000;
    return value * 1000;
  })
  .refine((ms) => ms >= 100, "must be at least 100ms");
