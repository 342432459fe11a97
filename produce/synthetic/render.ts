import type { StreamTopic } from "../../lib/feeds.js";
import type { BpmEvent, GymLoginEvent, RegistrationEvent, UserInfoEvent, WorkoutEvent } from "./syntheticEvent.js";

/**
 * The bytes of each feed, in the reference formats (brief §6). Payloads are spelled as the reference's
 * Python producer spells them (`": "` and `", "` separators, `.0` on float timestamps), so synthetic and
 * reference files exercise the same parsing.
 */

export const REGISTERED_USERS_HEADER = "user_id,device_id,mac_address,registration_timestamp\n";
export const GYM_LOGINS_HEADER = "mac_address,gym,login,logout\n";

export function registrationCsvLine(e: RegistrationEvent): string {
  return `${e.userId},${e.deviceId},${e.mac},${e.registeredAt}\n`;
}

export function gymLoginCsvLine(e: GymLoginEvent): string {
  return `${e.mac},${e.gym},${e.login},${e.logout}\n`;
}

export interface KafkaMessage {
  topic: StreamTopic;
  key: string;
  value: string;
}

export function kafkaMessage(e: UserInfoEvent | WorkoutEvent | BpmEvent): KafkaMessage {
  switch (e.feed) {
    case "bpm":
      return { topic: "bpm", key: String(e.deviceId), value: `{"device_id": ${e.deviceId}, "time": ${e.time}, "heartrate": ${e.heartrate === null ? "null" : e.heartrate}}` };
    case "workout":
      return {
        topic: "workout",
        key: String(e.userId),
        value: `{"user_id": ${e.userId}, "workout_id": ${e.workoutId}, "timestamp": ${e.timestamp}.0, "action": "${e.action}", "session_id": ${e.sessionId}}`,
      };
    case "user_info": {
      const p = e.profile;
      const a = p.address;
      const timestamp = e.floatTimestamp ? `${e.timestamp}.0` : String(e.timestamp);
      const s = JSON.stringify;
      return {
        topic: "user_info",
        key: String(e.userId),
        value:
          `{"user_id": ${e.userId}, "update_type": "${e.updateType}", "timestamp": ${timestamp}, "dob": ${s(p.dob)}, "sex": ${s(p.sex)}, ` +
          `"gender": ${s(p.gender)}, "first_name": ${s(p.first_name)}, "last_name": ${s(p.last_name)}, "address": {"street_address": ${s(a.street_address)}, ` +
          `"city": ${s(a.city)}, "state": ${s(a.state)}, "zip": ${a.zip}}}`,
      };
    }
  }
}

/** A kafka_multiplex landing line; the envelope timestamp is in seconds, as in the reference files. */
export function envelopeLine(message: KafkaMessage, partition: number, offset: number, timestampSeconds: number): string {
  return `{"key":${JSON.stringify(message.key)},"value":${JSON.stringify(message.value)},"topic":"${message.topic}","partition":${partition},"offset":${offset},"timestamp":${timestampSeconds}}\n`;
}

/**
 * The bpm landing line, spelled out with the payload already escaped: it is the generator's hot path
 * (ten million lines at bench size), and equals `envelopeLine(kafkaMessage(e), …)` byte for byte.
 */
export function bpmEnvelopeLine(e: BpmEvent, partition: number, offset: number): string {
  const heartrate = e.heartrate === null ? "null" : e.heartrate;
  return `{"key":"${e.deviceId}","value":"{\\"device_id\\": ${e.deviceId}, \\"time\\": ${e.time}, \\"heartrate\\": ${heartrate}}","topic":"bpm","partition":${partition},"offset":${offset},"timestamp":${e.emitAt}}\n`;
}
