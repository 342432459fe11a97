import type { Random } from "../random.js";
import type { SyntheticConfig } from "./config.js";
import { randomAddress, type Fleet, type Member, type Profile } from "./fleet.js";
import type { GymLoginEvent, RegistrationEvent, SyntheticEvent, UserInfoEvent, WorkoutEvent } from "./syntheticEvent.js";
import { LAST_NAMES } from "./people.js";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** Beyond this the pipeline must drop a workout (brief §5), so some stops are reported just past it. */
const MAX_WORKOUT = 3 * HOUR;

/**
 * Every low-volume event (registrations, gym logins, profile CDC, workout start/stop) as reported, with the
 * anomalies the pipeline must cope with, ordered by emit time. Heart rate is generated separately as a
 * stream because of its volume.
 */
export function lowVolumeEvents(config: SyntheticConfig, fleet: Fleet, rng: Random): SyntheticEvent[] {
  const events: SyntheticEvent[] = [...registrations(fleet, rng), ...profileChanges(config, fleet, rng), ...workoutEvents(fleet, rng), ...gymLogins(fleet, rng)];
  // Stable sort: events sent in the same second keep the order they were made in.
  return events.sort((a, b) => a.emitAt - b.emitAt);
}

function registrations(fleet: Fleet, rng: Random): RegistrationEvent[] {
  const rows: RegistrationEvent[] = fleet.members.map((m) => ({
    feed: "registered_users",
    emitAt: m.registeredAt,
    userId: m.userId,
    deviceId: m.deviceId,
    mac: m.mac,
    registeredAt: m.registeredAt,
  }));
  // Re-registrations of the same device: the first registration must win.
  for (const m of rng.some(fleet.members, 0.05)) {
    const again = m.registeredAt + rng.int(HOUR, DAY);
    rows.push({ feed: "registered_users", emitAt: again, userId: m.userId, deviceId: m.deviceId, mac: m.mac, registeredAt: again });
  }
  return rows;
}

function profileChanges(config: SyntheticConfig, fleet: Fleet, rng: Random): UserInfoEvent[] {
  const windowEnd = config.start + config.days * DAY;
  const twice = rng.some(fleet.members, 0.1);
  const events: UserInfoEvent[] = [];
  const staleCandidates: UserInfoEvent[][] = [];
  for (const member of fleet.members) {
    const created = member.registeredAt + rng.int(0, 30);
    const until = (member.deletedAt ?? windowEnd) - MINUTE;
    let profile = member.profile;
    events.push(userInfo(member, "new", created, profile, rng));
    const count = twice.has(member) ? 2 : rng.chance(0.3) ? 1 : 0;
    const times = Array.from({ length: count }, () => rng.int(created + MINUTE, until)).sort((a, b) => a - b);
    const updates = times.map((time) => {
      profile = changed(profile, rng);
      return userInfo(member, "update", time, profile, rng);
    });
    events.push(...updates);
    if (updates.length === 2) staleCandidates.push(updates);
    if (member.deletedAt !== null) events.push(userInfo(member, "delete", member.deletedAt, profile, rng));
  }
  // An older update delivered after a newer one must not overwrite it.
  for (const [older, newer] of rng.some(staleCandidates, 0.5) as Set<[UserInfoEvent, UserInfoEvent]>) {
    older.emitAt = newer.timestamp + rng.int(MINUTE, HOUR);
  }
  return [...events, ...duplicates(events, 0.03, 1, 10 * MINUTE, rng)];
}

function userInfo(member: Member, updateType: UserInfoEvent["updateType"], timestamp: number, profile: Profile, rng: Random): UserInfoEvent {
  return { feed: "user_info", emitAt: timestamp, userId: member.userId, updateType, timestamp, floatTimestamp: rng.chance(0.5), profile };
}

/** People mostly move; some change their last name. */
function changed(profile: Profile, rng: Random): Profile {
  return rng.chance(0.7) ? { ...profile, address: randomAddress(rng) } : { ...profile, last_name: rng.pick(LAST_NAMES) };
}

function workoutEvents(fleet: Fleet, rng: Random): WorkoutEvent[] {
  const workouts = fleet.visits.flatMap((v) => v.workouts);
  const forgotten = rng.some(workouts, 0.02);
  const missing = rng.some(
    workouts.filter((w) => !forgotten.has(w)),
    0.02,
  );
  const events: WorkoutEvent[] = [];
  const stops: WorkoutEvent[] = [];
  for (const w of workouts) {
    const base = { feed: "workout", userId: w.member.userId, workoutId: w.workoutId, sessionId: w.sessionId } as const;
    events.push({ ...base, action: "start", emitAt: w.start, timestamp: w.start });
    if (missing.has(w)) continue;
    const stop = forgotten.has(w) ? w.start + MAX_WORKOUT + rng.int(1, 90) * MINUTE : w.end;
    const event: WorkoutEvent = { ...base, action: "stop", emitAt: stop, timestamp: stop };
    events.push(event);
    stops.push(event);
  }
  for (const stop of rng.some(stops, 0.03)) stop.emitAt += rng.int(10 * MINUTE, 2 * HOUR);
  return [...events, ...duplicates(events, 0.03, 1, 5 * MINUTE, rng)];
}

function gymLogins(fleet: Fleet, rng: Random): GymLoginEvent[] {
  const rows: GymLoginEvent[] = [];
  // A gym that reports a visit while it is still going sends a later row with the final logout.
  const reportedEarly = rng.some(fleet.visits, 0.03);
  for (const visit of fleet.visits) {
    const row = { feed: "gym_logins", mac: visit.member.mac, gym: visit.gym, login: visit.login } as const;
    if (reportedEarly.has(visit)) {
      const interim = visit.login + Math.round((visit.logout - visit.login) / 2 / MINUTE) * MINUTE;
      rows.push({ ...row, logout: interim, emitAt: interim });
    }
    rows.push({ ...row, logout: visit.logout, emitAt: visit.logout + rng.int(0, 5 * MINUTE) });
  }
  return [...rows, ...duplicates(rows, 0.03, MINUTE, HOUR, rng)];
}

/** Redeliveries: the same line sent again a little later. */
function duplicates<E extends SyntheticEvent>(events: E[], fraction: number, minDelay: number, maxDelay: number, rng: Random): E[] {
  return [...rng.some(events, fraction)].map((event) => ({ ...event, emitAt: event.emitAt + rng.int(minDelay, maxDelay) }));
}
