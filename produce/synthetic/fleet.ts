import type { Random } from "../random.js";
import { CITIES, FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, STREET_NAMES, STREET_SUFFIXES } from "./people.js";
import type { SyntheticConfig } from "./config.js";

/**
 * What really happened in the simulated fleet: who registered which device, who went to which gym when,
 * which workouts they did and when the device was worn. How these facts are reported (late, duplicated,
 * with a forgotten stop) is decided separately in reports.ts, so the truth stays easy to test against.
 */

export interface Address {
  street_address: string;
  city: string;
  state: string;
  zip: number;
}

export interface Profile {
  dob: string;
  sex: "M" | "F";
  gender: "M" | "F";
  first_name: string;
  last_name: string;
  address: Address;
}

export interface Member {
  userId: number;
  deviceId: number;
  mac: string;
  registeredAt: number;
  restingHr: number;
  maxHr: number;
  profile: Profile;
  /** When the user deletes their profile; no activity follows it. */
  deletedAt: number | null;
}

export interface Workout {
  member: Member;
  workoutId: number;
  sessionId: number;
  start: number;
  /** When the workout really ended; the reported stop may differ (see reports.ts). */
  end: number;
  intensity: number;
}

export interface Visit {
  member: Member;
  gym: number;
  login: number;
  logout: number;
  workouts: Workout[];
  /** The device records heart rate every second in [wornFrom, wornTo]. */
  wornFrom: number;
  wornTo: number;
}

export interface Fleet {
  members: Member[];
  /** Ordered by login. */
  visits: Visit[];
}

const DAY = 86_400;
const MINUTE = 60;

export function buildFleet(config: SyntheticConfig, rng: Random): Fleet {
  const members = buildMembers(config, rng);
  const gyms = Math.max(3, Math.ceil(config.users / 25));
  const visits: Visit[] = [];
  for (const member of members) {
    const homeGym = rng.int(1, gyms);
    for (let day = 0; day < config.days; day++) {
      if (!rng.chance(0.7)) continue;
      const dayStart = config.start + day * DAY;
      // Session ids number a member's workouts by calendar day (days since 1970 × 10 + n), so data sets
      // generated for later days (the next delivery of `npm start`) never reuse a session key.
      let session = Math.floor(dayStart / DAY) * 10;
      const twice = rng.chance(0.25);
      const slots: [number, number][] = twice
        ? [
            [6, 11],
            [16, 20],
          ]
        : [rng.chance(0.5) ? [6, 11] : [16, 20]];
      for (const [fromHour, toHour] of slots) {
        const login = dayStart + rng.int(fromHour * 60, toHour * 60) * MINUTE;
        const gym = rng.chance(0.85) ? homeGym : rng.int(1, gyms);
        const visit = buildVisit(member, gym, login, rng, () => ++session);
        const tooEarly = visit.login <= member.registeredAt;
        const tooLate = member.deletedAt !== null && visit.logout >= member.deletedAt;
        if (!tooEarly && !tooLate) visits.push(visit);
      }
    }
  }
  visits.sort((a, b) => a.login - b.login || a.member.userId - b.member.userId);
  return { members, visits };
}

function buildMembers(config: SyntheticConfig, rng: Random): Member[] {
  const members: Member[] = [];
  const macs = new Set<string>();
  let userId = 10_000;
  let deviceId = 100_000;
  const deletions = rng.some(
    Array.from({ length: config.users }, (_, i) => i),
    config.users >= 2 ? 0.05 : 0,
  );
  for (let i = 0; i < config.users; i++) {
    userId += rng.int(1, 9);
    deviceId += rng.int(1, 99);
    let mac: string;
    do mac = Array.from({ length: 6 }, () => rng.int(0, 255).toString(16).padStart(2, "0")).join(":");
    while (macs.has(mac));
    macs.add(mac);
    const registrationDay = config.days > 1 && rng.chance(0.25) ? rng.int(1, config.days - 1) : 0;
    const registeredAt = config.start + registrationDay * DAY + rng.int(0, 5 * 3600);
    const age = rng.int(16, 90);
    const deleteDay = rng.int(registrationDay, config.days - 1);
    members.push({
      userId,
      deviceId,
      mac,
      registeredAt,
      restingHr: rng.between(55, 80),
      maxHr: 208 - 0.7 * age,
      profile: buildProfile(config, age, rng),
      deletedAt: deletions.has(i) ? config.start + deleteDay * DAY + 23 * 3600 + rng.int(0, 50 * MINUTE) : null,
    });
  }
  return members;
}

function buildProfile(config: SyntheticConfig, age: number, rng: Random): Profile {
  const sex = rng.chance(0.5) ? "F" : "M";
  const birthYear = new Date(config.start * 1000).getUTCFullYear() - age - 1;
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  return {
    dob: `${pad2(month)}/${pad2(day)}/${birthYear}`,
    sex,
    gender: sex,
    first_name: rng.pick(sex === "F" ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES),
    last_name: rng.pick(LAST_NAMES),
    address: randomAddress(rng),
  };
}

export function randomAddress(rng: Random): Address {
  const place = rng.pick(CITIES);
  return {
    street_address: `${rng.int(100, 99_999)} ${rng.pick(STREET_NAMES)} ${rng.pick(STREET_SUFFIXES)}`,
    city: place.city,
    state: "CA",
    zip: rng.pick(place.zips),
  };
}

function buildVisit(member: Member, gym: number, login: number, rng: Random, nextSession: () => number): Visit {
  const workouts: Workout[] = [];
  let start = login + rng.int(3, 15) * MINUTE;
  const count = rng.chance(0.2) ? 2 : 1;
  for (let i = 0; i < count; i++) {
    const end = start + rng.int(i === 0 ? 20 : 15, i === 0 ? 75 : 45) * MINUTE;
    workouts.push({ member, workoutId: rng.int(1, 3), sessionId: nextSession(), start, end, intensity: rng.between(0.5, 0.85) });
    start = end + rng.int(2, 10) * MINUTE;
  }
  const first = workouts[0] as Workout;
  const last = workouts[workouts.length - 1] as Workout;
  const logout = last.end + rng.int(5, 20) * MINUTE;
  const wornFrom = Math.max(login, first.start - rng.int(60, 300));
  const wornTo = Math.min(logout, last.end + rng.int(60, 300));
  return { member, gym, login, logout, workouts, wornFrom, wornTo };
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
