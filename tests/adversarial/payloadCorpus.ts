export const bpm = (fields: Record<string, unknown>) => JSON.stringify({ device_id: 1, time: 1678410000, heartrate: 60, ...fields });
const workout = (fields: Record<string, unknown>) => JSON.stringify({ user_id: 1, workout_id: 2, session_id: 3, timestamp: 1678410000, action: "start", ...fields });
const user = (fields: Record<string, unknown>) =>
  JSON.stringify({ user_id: 7, update_type: "new", timestamp: 1678410000, dob: "01/31/1990", first_name: "A", address: { street_address: "1 Main", city: "X", state: "CA", zip: 12345 }, ...fields });

/**
 * Payloads by topic, good and bad, the edges of every rule in ingest/schemas/topics.ts. Every path that decides
 * whether a payload is accepted runs this corpus: landing files (landingPayloads.test.ts) and the stream's bulk
 * and per-message checks (tests/ingest/kafkaBatchValidation.test.ts).
 */
export const PAYLOADS: [string, string][] = [
  ["bpm", bpm({})],
  ["bpm", bpm({ heartrate: null })],
  ["bpm", bpm({ heartrate: -5.5 })],
  ["bpm", bpm({ heartrate: "x".repeat(1000) })],
  ["bpm", bpm({ heartrate: "60" })],
  ["bpm", bpm({ heartrate: undefined })],
  ["bpm", bpm({ heartrate: true })],
  ["bpm", bpm({ device_id: -1 })],
  ["bpm", bpm({ device_id: 1.5 })],
  ["bpm", '{"device_id":1.0,"time":1678410000,"heartrate":60}'],
  ["bpm", bpm({ device_id: 9007199254740991 })],
  ["bpm", '{"device_id":9007199254740993,"time":1,"heartrate":1}'],
  ["bpm", bpm({ device_id: "1" })],
  ["bpm", bpm({ time: 1678410000123 })],
  ["bpm", bpm({ time: -1 })],
  ["bpm", bpm({ time: 99999999999.5 })],
  ["bpm", '{"device_id":1,"time":1e400,"heartrate":1}'],
  ["bpm", bpm({ extra: { nested: [1, 2] } })],
  // The devices' own form, which a shape test accepts without a parse (topicPayloadSql.ts), and its near misses.
  ["bpm", '{"device_id": 118440, "time": 1678410000, "heartrate": 41.21897868284929}'],
  ["bpm", '{"device_id": 0, "time": 0.5, "heartrate": -0}'],
  ["bpm", '{"device_id": 1, "time": 1678410000, "heartrate": null}'],
  ["bpm", '{"device_id": 007, "time": 1678410000, "heartrate": 41.2}'],
  ["bpm", '{"device_id": 1, "time": 1678410000, "heartrate": 01}'],
  ["bpm", '{"device_id": 9999999999999999, "time": 1, "heartrate": 1}'],
  ["bpm", '{"device_id": 1, "time": 99999999999, "heartrate": 1}'],
  ["bpm", '{"device_id": 1, "time": 100000000000, "heartrate": 1}'],
  ["bpm", '{"device_id": 1, "time": 1678410000, "heartrate": 1e999}'],
  ["bpm", "[1,2,3]"],
  ["bpm", "42"],
  ["bpm", '"a string"'],
  ["bpm", "null"],
  ["bpm", "{not json"],
  ["bpm", ""],
  ["workout", workout({})],
  ["workout", workout({ action: "stop" })],
  ["workout", workout({ action: "pause" })],
  ["workout", workout({ action: "START" })],
  ["workout", '{"user_id":1,"workout_id":2,"session_id":3,"timestamp":1,"action":"st\\u0061rt"}'],
  ["workout", workout({ session_id: null })],
  ["workout", workout({ workout_id: undefined })],
  ["user_info", user({})],
  ["user_info", user({ update_type: "delete", dob: undefined, first_name: undefined, address: undefined })],
  ["user_info", user({ dob: null, sex: null, address: null })],
  ["user_info", user({ dob: "1990-01-31" })],
  ["user_info", user({ dob: "13/01/1990" })],
  ["user_info", user({ dob: "01/31/1990\n" })],
  ["user_info", user({ first_name: 5 })],
  ["user_info", user({ address: "1 Main St" })],
  ["user_info", user({ address: { zip: "02134-1234" } })],
  ["user_info", user({ address: { zip: -5 } })],
  ["user_info", user({ address: { zip: 1.5 } })],
  ["user_info", user({ address: { city: 12 } })],
  ["user_info", user({ address: {} })],
  ["user_info", user({ update_type: "create" })],
  ["user_info", user({ user_id: undefined })],
  ["some_other_topic", '{"anything": "goes"}'],
];
