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

export function profile(offset: number, user: number, timestamp: number, city: string): string {
  const address = { street_address: "1 Main", city, state: "CA", zip: 90001 };
  return envelope("user_info", offset, { user_id: user, update_type: "new", timestamp, dob: "01/02/1990", sex: "F", gender: "F", first_name: "A", last_name: "B", address });
}
