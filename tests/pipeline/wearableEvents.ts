import { landText } from "./pipelineHarness.js";

/** Landing lines of the wearable feeds, for pipeline tests that build their own small cases. */

/** A time inside the reference data's period (2023-03-10), epoch seconds. */
export const T0 = 1678451400;

export const REGISTRATIONS_HEADER = "user_id,device_id,mac_address,registration_timestamp\n";

/** One Kafka envelope line whose value is `value` as a JSON string. */
export function envelope(topic: string, offset: number, value: Record<string, unknown>, timestamp = T0): string {
  return JSON.stringify({ key: String(offset), value: JSON.stringify(value), topic, partition: 0, offset, timestamp });
}

export function workout(offset: number, user: number, session: number, action: "start" | "stop", time: number): string {
  return envelope("workout", offset, { user_id: user, workout_id: 1, session_id: session, action, timestamp: time });
}

export function reading(offset: number, device: number, time: number, heartrate = 90): string {
  return envelope("bpm", offset, { device_id: device, time, heartrate }, time);
}

export function profile(offset: number, user: number, timestamp: number, city: string, type: "new" | "update" | "delete" = "new"): string {
  const address = { street_address: "1 Main", city, state: "CA", zip: 90001 };
  return envelope("user_info", offset, { user_id: user, update_type: type, timestamp, dob: "01/02/1990", sex: "F", gender: "F", first_name: "A", last_name: "B", address });
}

/**
 * Two sessions with readings (user 1 on device 100, then user 2 on device 200, which ends last so the first is
 * complete); only user 1 has a profile, so only their session is summarized.
 */
export function landFirstDelivery(home: string): void {
  landText(home, "registered_users", "u1.csv", `${REGISTRATIONS_HEADER}1,100,aa:01,${T0 - 3600}\n2,200,aa:02,${T0 - 3600}\n`);
  const lines = [
    workout(1, 1, 1, "start", T0),
    workout(2, 1, 1, "stop", T0 + 600),
    workout(3, 2, 2, "start", T0 + 1200),
    workout(4, 2, 2, "stop", T0 + 1800),
    ...[60, 120, 180].map((s, i) => reading(10 + i, 100, T0 + s)),
    ...[1260, 1320].map((s, i) => reading(20 + i, 200, T0 + s)),
    profile(30, 1, T0 - 3600, "Fresno"),
  ];
  landText(home, "kafka_multiplex", "a.json", `${lines.join("\n")}\n`);
}
