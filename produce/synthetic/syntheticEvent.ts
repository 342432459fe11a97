import type { Profile } from "./fleet.js";

/**
 * One line of one feed as the simulated systems report it. `emitAt` (epoch s) is when it is sent: the Kafka
 * timestamp, and what decides its batch; event times live in the payload fields and may be much earlier
 * for late records.
 */
export type SyntheticEvent = RegistrationEvent | GymLoginEvent | UserInfoEvent | WorkoutEvent | BpmEvent;

export interface RegistrationEvent {
  feed: "registered_users";
  emitAt: number;
  userId: number;
  deviceId: number;
  mac: string;
  registeredAt: number;
}

export interface GymLoginEvent {
  feed: "gym_logins";
  emitAt: number;
  mac: string;
  gym: number;
  login: number;
  logout: number;
}

export interface UserInfoEvent {
  feed: "user_info";
  emitAt: number;
  userId: number;
  updateType: "new" | "update" | "delete";
  timestamp: number;
  /** Written as `1678451168.0`, as some reference producers do. */
  floatTimestamp: boolean;
  profile: Profile;
}

export interface WorkoutEvent {
  feed: "workout";
  emitAt: number;
  userId: number;
  workoutId: number;
  sessionId: number;
  action: "start" | "stop";
  timestamp: number;
}

export interface BpmEvent {
  feed: "bpm";
  emitAt: number;
  deviceId: number;
  time: number;
  heartrate: number | null;
}
