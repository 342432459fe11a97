import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";

/** Schemas written from brief §6 independently of produce/, so the tests check the code against the contract. */
const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
const epochSeconds = z.number().int().min(1_500_000_000).max(2_000_000_000);
const csvInt = z
  .string()
  .regex(/^-?\d+$/)
  .transform(Number);

export const registeredUserRow = z.object({ user_id: csvInt, device_id: csvInt, mac_address: mac, registration_timestamp: csvInt.pipe(epochSeconds) });
export const gymLoginRow = z.object({ mac_address: mac, gym: csvInt, login: csvInt.pipe(epochSeconds), logout: csvInt.pipe(epochSeconds) });

export const envelope = z.strictObject({
  key: z.string(),
  value: z.string(),
  topic: z.enum(["user_info", "bpm", "workout"]),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  timestamp: epochSeconds,
});

export const userInfoPayload = z.strictObject({
  user_id: z.number().int(),
  update_type: z.enum(["new", "update", "delete"]),
  timestamp: z.number().pipe(epochSeconds),
  dob: z.string().regex(/^(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/(19|20)\d\d$/),
  sex: z.enum(["M", "F"]),
  gender: z.string(),
  first_name: z.string().min(1),
  last_name: z.string().min(1),
  address: z.strictObject({ street_address: z.string().min(1), city: z.string().min(1), state: z.string().length(2), zip: z.number().int() }),
});
export const bpmPayload = z.strictObject({ device_id: z.number().int(), time: epochSeconds, heartrate: z.number().nullable() });
export const workoutPayload = z.strictObject({
  user_id: z.number().int(),
  workout_id: z.number().int(),
  timestamp: z.number().pipe(epochSeconds),
  action: z.enum(["start", "stop"]),
  session_id: z.number().int(),
});

export type Envelope = z.infer<typeof envelope>;

export function readText(file: string): string {
  const bytes = readFileSync(file);
  return (file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Files of one landing folder, sorted by name. */
export function landedFiles(home: string, folder: string): string[] {
  const dir = path.join(home, "landing", folder);
  return readdirSync(dir)
    .sort()
    .map((name) => path.join(dir, name));
}

export function csvRows<S extends z.ZodType>(file: string, header: string, schema: S): z.infer<S>[] {
  const [first, ...lines] = readText(file).split("\n");
  if (first !== header) throw new Error(`${file}: header ${JSON.stringify(first)}`);
  const names = header.split(",");
  return lines.filter((line) => line !== "").map((line) => schema.parse(Object.fromEntries(line.split(",").map((cell, i) => [names[i], cell]))));
}

export interface Message<P> {
  envelope: Envelope;
  payload: P;
  raw: string;
}

export function messages<S extends z.ZodType>(file: string, schema: S): Message<z.infer<S>>[] {
  return readText(file)
    .split("\n")
    .filter((line) => line !== "")
    .map((raw) => {
      const parsed = envelope.parse(JSON.parse(raw));
      return { envelope: parsed, payload: schema.parse(JSON.parse(parsed.value)), raw };
    });
}
