import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startOfDay, type SyntheticConfig } from "../../produce/synthetic/config.js";
import { syntheticRecords } from "../../produce/synthetic/records.js";
import { syntheticToLanding, type SyntheticLandingResult } from "../../produce/synthetic/toLanding.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { bpmPayload, csvRows, gymLoginRow, landedFiles, messages, readText, registeredUserRow, userInfoPayload, workoutPayload } from "./landedFeeds.js";

const REGISTERED_HEADER = "user_id,device_id,mac_address,registration_timestamp";
const GYM_HEADER = "mac_address,gym,login,logout";
const START = startOfDay("2023-03-10");

function config(overrides: Partial<SyntheticConfig> = {}): SyntheticConfig {
  return { users: 20, days: 2, seed: 42, start: START, ...overrides };
}

async function generate(c: SyntheticConfig, options: { batches?: number; gzip?: boolean } = {}): Promise<{ home: string; result: SyntheticLandingResult }> {
  const home = mkdtempSync(path.join(tmpdir(), "pulse-synthetic-"));
  const result = await syntheticToLanding({ home, config: c, batches: options.batches ?? 1, gzip: options.gzip ?? false, generation: "gen" });
  return { home, result };
}

/** Every landed file's bytes, by file name (the generation stamp is fixed, so names compare across homes). */
function contents(home: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const folder of ["registered_users", "gym_logins", "kafka_multiplex"]) for (const file of landedFiles(home, folder)) all.set(path.basename(file), readText(file));
  return all;
}

function parseAll(home: string) {
  const files = (folder: string, feed: string) => landedFiles(home, folder).filter((f) => f.includes(feed));
  return {
    registrations: files("registered_users", "registered_users").flatMap((f) => csvRows(f, REGISTERED_HEADER, registeredUserRow)),
    gymLogins: files("gym_logins", "gym_logins").flatMap((f) => csvRows(f, GYM_HEADER, gymLoginRow)),
    userInfo: files("kafka_multiplex", "user_info").flatMap((f) => messages(f, userInfoPayload)),
    bpm: files("kafka_multiplex", "bpm").flatMap((f) => messages(f, bpmPayload)),
    workouts: files("kafka_multiplex", "workout").flatMap((f) => messages(f, workoutPayload)),
  };
}

describe("synthetic generator", () => {
  it("is deterministic: the same seed gives byte-identical files, another seed different ones", async () => {
    const a = contents((await generate(config())).home);
    const b = contents((await generate(config())).home);
    const c = contents((await generate(config({ seed: 43 }))).home);
    expect([...a.keys()]).toHaveLength(5);
    expect(b).toEqual(a);
    for (const [name, text] of c) expect(text, name.replace("seed43", "seed42")).not.toEqual(a.get(name.replace("seed43", "seed42")));
  });

  it("gzip changes the encoding, not the data", async () => {
    const plain = contents((await generate(config({ users: 5 }))).home);
    const gzipped = contents((await generate(config({ users: 5 }), { gzip: true })).home);
    expect(new Map([...gzipped].map(([name, text]) => [name.replace(/\.gz$/, ""), text]))).toEqual(plain);
  });

  it("volumes scale with users and days", async () => {
    const bpm = async (c: SyntheticConfig) => (await generate(c)).result.records.bpm;
    const base = await bpm(config());
    expect(base).toBeGreaterThan(20 * 2 * 1500);
    for (const bigger of [config({ users: 40 }), config({ days: 4 })]) {
      const ratio = (await bpm(bigger)) / base;
      expect(ratio).toBeGreaterThan(1.5);
      expect(ratio).toBeLessThan(2.6);
    }
  });

  it("splitting into batches cuts the same data set by emit time; late records land in later batches", async () => {
    const one = await generate(config());
    const four = await generate(config(), { batches: 4 });
    const lines = (home: string, folder: string) =>
      landedFiles(home, folder)
        .flatMap((f) =>
          readText(f)
            .split("\n")
            .filter((l) => l !== "" && l !== REGISTERED_HEADER && l !== GYM_HEADER),
        )
        .sort();
    for (const folder of ["registered_users", "gym_logins", "kafka_multiplex"]) expect(lines(four.home, folder), folder).toEqual(lines(one.home, folder));
    expect(new Set(four.result.files.map((f) => f.batch))).toEqual(new Set([1, 2, 3, 4]));

    const batchStart = (batch: number) => START + ((batch - 1) * 2 * 86_400) / 4;
    let lateAcrossBatches = 0;
    let sentBeforeItsBatch = 0;
    for (const file of four.result.files.filter((f) => f.feed === "bpm")) {
      for (const m of messages(file.path, bpmPayload)) {
        if (m.envelope.timestamp < batchStart(file.batch)) sentBeforeItsBatch++;
        if (m.payload.time < batchStart(file.batch)) lateAcrossBatches++;
      }
    }
    expect(sentBeforeItsBatch).toBe(0);
    expect(lateAcrossBatches).toBeGreaterThan(0);
  });

  it("streams the same Kafka messages as the landing files carry, in emit order", async () => {
    const c = config({ users: 5, days: 1 });
    const { home } = await generate(c);
    const records: ProducerRecord[] = [];
    for await (const record of syntheticRecords(c)) records.push(record);
    const landed = landedFiles(home, "kafka_multiplex").flatMap((f) =>
      readText(f)
        .split("\n")
        .filter((l) => l !== ""),
    );
    const asRecords = landed.map((line) => {
      const e = JSON.parse(line) as { topic: string; key: string; value: string; timestamp: number };
      return { topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp * 1000 };
    });
    for (const topic of ["user_info", "bpm", "workout"]) {
      expect(
        records.filter((r) => r.topic === topic),
        topic,
      ).toEqual(asRecords.filter((r) => r.topic === topic));
    }
    expect(records.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp).sort((x, y) => x - y));
  });

  it("never leaves temp files and names later runs after earlier ones", async () => {
    const { home, result } = await generate(config({ users: 3, days: 1 }), { batches: 2 });
    const second = await syntheticToLanding({ home, config: config({ users: 3, days: 1 }), batches: 1, gzip: true, generation: "gen2" });
    expect(readdirSync(path.join(home, "landing", ".tmp"))).toEqual([]);
    const all = ["registered_users", "gym_logins", "kafka_multiplex"].flatMap((folder) => landedFiles(home, folder));
    expect(all.length).toBe(result.files.length + second.files.length);
    for (const file of all) expect(path.basename(file)).toMatch(/^gen2?-seed42-b00\d-[1-5]-[a-z_]+\.(csv|json)(\.gz)?$/);
    expect(readFileSync(second.files[0]!.path).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe("synthetic data set: formats and invariants", () => {
  let data: ReturnType<typeof parseAll>;
  let home: string;
  beforeAll(async () => {
    home = (await generate(config())).home;
    data = parseAll(home);
  });

  it("parses every line with the brief's formats and spells payloads like the reference", () => {
    expect(data.registrations.length).toBeGreaterThanOrEqual(20);
    expect(new Set(data.registrations.map((r) => r.user_id)).size).toBe(20);
    const userInfoTimestamps = data.userInfo.map((m) => /"timestamp": (\d+(\.0)?),/.exec(m.envelope.value)?.[1] ?? "");
    expect(userInfoTimestamps.some((t) => t.endsWith(".0"))).toBe(true);
    expect(userInfoTimestamps.some((t) => !t.includes("."))).toBe(true);
    expect(data.workouts.every((m) => m.envelope.value.includes(`"timestamp": ${m.payload.timestamp}.0,`))).toBe(true);
    for (const m of [...data.userInfo, ...data.workouts]) expect(m.envelope.key).toBe(String(m.payload.user_id));
    for (const m of data.bpm) expect(m.envelope.key).toBe(String(m.payload.device_id));
  });

  it("sends every feed in emit order with unique offsets per topic", () => {
    for (const feed of [data.userInfo, data.bpm, data.workouts]) {
      const stamps = feed.map((m) => m.envelope.timestamp);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
      expect(new Set(feed.map((m) => m.envelope.offset)).size).toBe(feed.length);
    }
  });

  it("puts every workout inside a gym visit of the user's device, after registration", () => {
    const firstRegistration = new Map<number, { mac: string; at: number }>();
    for (const r of data.registrations) if (!firstRegistration.has(r.user_id)) firstRegistration.set(r.user_id, { mac: r.mac_address, at: r.registration_timestamp });
    const starts = data.workouts.filter((m) => m.payload.action === "start");
    expect(starts.length).toBeGreaterThan(20);
    for (const { payload: w } of starts) {
      const user = firstRegistration.get(w.user_id)!;
      expect(w.timestamp).toBeGreaterThan(user.at);
      expect(data.gymLogins.some((g) => g.mac_address === user.mac && g.login <= w.timestamp && w.timestamp <= g.logout)).toBe(true);
    }
  });

  it("records one reading per second per worn device, covering every completed workout", () => {
    const device = new Map(data.registrations.map((r) => [r.user_id, r.device_id]));
    const readings = new Map<string, number | null>();
    let duplicates = 0;
    for (const { payload: r } of data.bpm) {
      const key = `${r.device_id}/${r.time}`;
      if (readings.has(key)) {
        duplicates++;
        expect(readings.get(key), key).toBe(r.heartrate);
      }
      readings.set(key, r.heartrate);
    }
    expect(duplicates).toBeGreaterThan(0);
    expect(duplicates).toBeLessThan(data.bpm.length / 1000);

    const sessions = new Map<string, { start?: number; stop?: number; user: number }>();
    for (const { payload: w } of data.workouts) {
      const session = sessions.get(`${w.user_id}/${w.workout_id}/${w.session_id}`) ?? { user: w.user_id };
      session[w.action] = w.timestamp;
      sessions.set(`${w.user_id}/${w.workout_id}/${w.session_id}`, session);
    }
    const completed = [...sessions.values()].filter((s) => s.start !== undefined && s.stop !== undefined && s.stop - s.start < 3 * 3600);
    expect(completed.length).toBeGreaterThan(20);
    const uncovered: string[] = [];
    for (const s of completed) {
      for (let t = s.start! + 1; t <= s.stop!; t++) if (!readings.has(`${device.get(s.user)}/${t}`)) uncovered.push(`${s.user}@${t}`);
    }
    expect(uncovered).toEqual([]);
    expect([...sessions.values()].some((s) => s.stop === undefined)).toBe(true);
    expect([...sessions.values()].some((s) => s.start !== undefined && s.stop !== undefined && s.stop - s.start > 3 * 3600)).toBe(true);
  });

  it("keeps heart rates realistic, with a few invalid readings", () => {
    const values = data.bpm.map((m) => m.payload.heartrate);
    const invalid = values.filter((v) => v === null || v <= 0).length;
    expect(invalid).toBeGreaterThan(0);
    expect(invalid).toBeLessThan(values.length / 1000);
    const valid = values.filter((v): v is number => v !== null && v > 0);
    expect(Math.min(...valid)).toBeGreaterThan(30);
    expect(Math.max(...valid)).toBeLessThan(220);
    expect(valid.some((v) => v > 110)).toBe(true);
  });

  it("has CDC updates, deletes, stale and duplicate profile events, and late workout and heart-rate records", () => {
    const byType = (t: string) => data.userInfo.filter((m) => m.payload.update_type === t);
    expect(byType("new").length).toBeGreaterThanOrEqual(20);
    expect(byType("update").length).toBeGreaterThan(0);
    expect(byType("delete").length).toBeGreaterThan(0);

    const deleted = new Map(byType("delete").map((m) => [m.payload.user_id, m.payload.timestamp]));
    for (const { payload: w } of data.workouts) if (deleted.has(w.user_id)) expect(w.timestamp).toBeLessThan(deleted.get(w.user_id)!);

    const newestSeen = new Map<number, number>();
    let stale = 0;
    for (const { payload: p } of data.userInfo) {
      if (p.timestamp < (newestSeen.get(p.user_id) ?? -Infinity)) stale++;
      newestSeen.set(p.user_id, Math.max(p.timestamp, newestSeen.get(p.user_id) ?? -Infinity));
    }
    expect(stale).toBeGreaterThan(0);

    const repeated = (raws: string[]) => raws.length - new Set(raws).size;
    expect(repeated(data.userInfo.map((m) => m.envelope.value))).toBeGreaterThan(0);
    expect(repeated(data.workouts.map((m) => m.envelope.value))).toBeGreaterThan(0);
    expect(data.workouts.some((m) => m.envelope.timestamp > m.payload.timestamp)).toBe(true);
    expect(data.bpm.some((m) => m.envelope.timestamp > m.payload.time + 60)).toBe(true);

    const visits = new Map<string, number[]>();
    for (const g of data.gymLogins) visits.set(`${g.mac_address}/${g.gym}/${g.login}`, [...(visits.get(`${g.mac_address}/${g.gym}/${g.login}`) ?? []), g.logout]);
    expect([...visits.values()].some((logouts) => new Set(logouts).size > 1)).toBe(true);
    expect(data.registrations.length).toBeGreaterThan(new Set(data.registrations.map((r) => r.user_id)).size);
  });
});
