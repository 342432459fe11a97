import { z } from "zod";
import { STREAM_TOPICS, isStreamTopic, type StreamTopic } from "../../lib/feeds.js";

/**
 * Event times are epoch seconds, integer or float (brief §5). The upper bound rejects milliseconds sent by
 * mistake (1.7e12), which would otherwise become timestamps 50,000 years out.
 */
const epochSeconds = z.number().finite().nonnegative().lt(1e11, "epoch seconds expected (this looks like milliseconds)");
const id = z.number().int().nonnegative();
/** Profile attributes may be absent (a `delete` carries only the key); when present their type must be right. */
const optionalText = z.string().nullish();

export const userInfoPayload = z.object({
  user_id: id,
  update_type: z.enum(["new", "update", "delete"]),
  timestamp: epochSeconds,
  dob: z
    .string()
    .regex(/^(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/\d{4}$/, "dob must be MM/dd/yyyy")
    .nullish(),
  sex: optionalText,
  gender: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  address: z
    .object({
      street_address: optionalText,
      city: optionalText,
      state: optionalText,
      zip: z.union([z.number().int().nonnegative(), z.string()]).nullish(),
    })
    .nullish(),
});

export const bpmPayload = z.object({
  device_id: id,
  time: epochSeconds,
  // null and non-positive readings are kept: silver marks them invalid rather than losing them.
  heartrate: z.number().finite().nullable(),
});

export const workoutPayload = z.object({
  user_id: id,
  workout_id: id,
  session_id: id,
  timestamp: epochSeconds,
  action: z.enum(["start", "stop"]),
});

export const TOPIC_SCHEMAS = {
  user_info: userInfoPayload,
  bpm: bpmPayload,
  workout: workoutPayload,
} as const satisfies Record<StreamTopic, z.ZodType>;

export { STREAM_TOPICS, isStreamTopic, type StreamTopic };
