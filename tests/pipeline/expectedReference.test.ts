import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { AS_OF_DATE, EXPECTED_AFTER_SET_1, EXPECTED_AFTER_SET_2, type ExpectedReference, type GymRow, type SummaryRow } from "./expected-reference.js";
import { REFERENCE } from "../referenceData.js";

// An independent oracle for expected-reference.ts: the brief's semantics computed in plain TypeScript
// over the raw reference files (no SQL, no pulse code), so a wrong hand-derived figure fails here.

const csvRows = (file: string) => {
  const [header, ...lines] = fs
    .readFileSync(path.join(REFERENCE, file), "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  const names = header!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [names[i]!, v])));
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON payloads of three topics, read field by field as the SQL does
type Payload = Record<string, any>;

const payloads = (file: string) => {
  const raw = fs.readFileSync(path.join(REFERENCE, file));
  const text = file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(JSON.parse(l).value as string) as Payload);
};

function ageBin(dob: string, asOf: string): string {
  const [m, d, y] = dob.split("/").map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split("-").map(Number) as [number, number, number];
  const age = ay - y - (am * 100 + ad < m * 100 + d ? 1 : 0);
  const bounds = [18, 25, 35, 45, 55, 65, 75, 85, 95];
  if (age < 18) return "under 18";
  if (age >= 95) return "95+";
  const i = bounds.findIndex((b) => age < b);
  return `${bounds[i - 1]}-${bounds[i]}`;
}

function oracle(sets: number[]): ExpectedReference {
  const users = new Map<number, Record<string, string>>();
  const gyms: Record<string, string>[] = [];
  const workouts = new Map<string, number>();
  const profiles = new Map<number, Payload>();
  const readings = new Map<string, number>();
  let kafka = 0;
  let registrations = 0;
  for (const s of sets) {
    const registered = csvRows(`test_data/1-registered_users_${s}.csv`);
    registrations += registered.length;
    for (const r of registered) if (!users.has(Number(r.user_id))) users.set(Number(r.user_id), r);
    gyms.push(...csvRows(`test_data/5-gym_logins_${s}.csv`));
    const info = payloads(`test_data/2-user_info_${s}.json`);
    // The latest event per user wins; a user whose latest is a delete has no profile.
    for (const p of info) if (!profiles.has(p.user_id) || profiles.get(p.user_id)!.timestamp < p.timestamp) profiles.set(p.user_id, p);
    const events = payloads(`test_data/4-workout_${s}.json`);
    for (const w of events) workouts.set([w.user_id, w.workout_id, w.session_id, w.action].join("/"), w.timestamp);
    const bpm = payloads(s === 1 ? "reconstructed/3-bpm_1.json.gz" : "synthetic/3-bpm_2.json.gz");
    for (const r of bpm) readings.set(`${r.device_id}/${r.time}`, r.heartrate);
    kafka += info.length + events.length + bpm.length;
  }
  const sessions = [...workouts].flatMap(([key, start]) => {
    const [u, w, s, action] = key.split("/");
    const stop = workouts.get([u, w, s, "stop"].join("/"));
    return action === "start" && stop !== undefined && stop > start && stop - start < 10800 ? [{ user_id: Number(u), workout_id: Number(w), session_id: Number(s), start, stop }] : [];
  });
  const current = (user: number) => (profiles.get(user)?.update_type === "delete" ? undefined : profiles.get(user));
  let workoutBpm = 0;
  const withReadings = sessions.flatMap((s) => {
    const device = users.get(s.user_id)!.device_id;
    const hrs: number[] = [];
    for (let t = Math.floor(s.start) + 1; t <= s.stop; t++) {
      const hr = readings.get(`${device}/${t}`);
      if (hr !== undefined && hr !== null && hr > 0) hrs.push(hr);
    }
    workoutBpm += hrs.length;
    return hrs.length === 0 ? [] : [{ ...s, hrs }];
  });
  // Complete: ended at least 30 s before the newest end among the sessions that have readings.
  const watermark = Math.max(...withReadings.map((s) => s.stop)) - 30;
  const summary: SummaryRow[] = withReadings.flatMap(({ hrs, ...s }) => {
    const p = current(s.user_id);
    if (s.stop > watermark || p === undefined) return [];
    return [
      {
        user_id: s.user_id,
        workout_id: s.workout_id,
        session_id: s.session_id,
        age: ageBin(p.dob, AS_OF_DATE),
        gender: p.gender,
        city: p.address.city,
        state: p.address.state,
        min_bpm: Math.min(...hrs),
        avg_bpm: hrs.reduce((a, b) => a + b, 0) / hrs.length,
        max_bpm: Math.max(...hrs),
        num_recordings: hrs.length,
      },
    ];
  });
  const gym: GymRow[] = sessions.flatMap((s) =>
    gyms
      .filter((g) => g.mac_address === users.get(s.user_id)!.mac_address && Number(g.login) <= s.start && s.start <= Number(g.logout))
      .map((g) => ({
        date: new Date(Number(g.login) * 1000).toISOString().slice(0, 10),
        gym: Number(g.gym),
        mac_address: g.mac_address!,
        workout_id: s.workout_id,
        session_id: s.session_id,
        minutes_in_gym: Math.round(((Number(g.logout) - Number(g.login)) / 60) * 100) / 100,
        minutes_exercising: Math.round(((s.stop - s.start) / 60) * 100) / 100,
      })),
  );
  gym.sort((a, b) => a.date.localeCompare(b.date) || a.gym - b.gym || a.mac_address.localeCompare(b.mac_address) || a.session_id - b.session_id);
  return {
    bronze: { registered_users: registrations, gym_logins: gyms.length, kafka_multiplex: kafka, dead_letters: 0 },
    silver: {
      users: users.size,
      gym_logs: new Set(gyms.map((g) => `${g.mac_address}/${g.gym}/${g.login}`)).size,
      user_profile: [...profiles.keys()].filter((u) => current(u)).length,
      workouts: workouts.size,
      heart_rate: readings.size,
      completed_workouts: sessions.length,
      workout_bpm: workoutBpm,
      user_bins: [...profiles.keys()].filter((u) => current(u)).length,
    },
    workoutBpmSummary: summary.sort((a, b) => a.user_id - b.user_id || a.session_id - b.session_id),
    gymSummary: gym,
  };
}

const bySession = (rows: SummaryRow[]) => [...rows].sort((a, b) => a.user_id - b.user_id || a.session_id - b.session_id);

describe("expected-reference.ts agrees with an independent computation over the raw files", () => {
  for (const [label, sets, expected] of [
    ["set 1", [1], EXPECTED_AFTER_SET_1],
    ["sets 1 and 2", [1, 2], EXPECTED_AFTER_SET_2],
  ] as const) {
    it(label, () => {
      const got = oracle([...sets]);
      expect(got.bronze).toEqual(expected.bronze);
      expect(got.silver).toEqual(expected.silver);
      expect(got.gymSummary).toEqual(expected.gymSummary);
      const want = bySession(expected.workoutBpmSummary);
      expect(got.workoutBpmSummary.map(({ avg_bpm: _avg, ...rest }) => rest)).toEqual(want.map(({ avg_bpm: _avg, ...rest }) => rest));
      got.workoutBpmSummary.forEach((row, i) => expect(row.avg_bpm).toBeCloseTo(want[i]!.avg_bpm, 9));
    });
  }
});
