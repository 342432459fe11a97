import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../lib/errors.js";
import { replayRecords, replayToLanding } from "../../produce/replay.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { REFERENCE } from "../referenceData.js";

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

function landing(home: string): Record<string, string[]> {
  return Object.fromEntries(["registered_users", "gym_logins", "kafka_multiplex"].map((feed) => [feed, readdirSync(path.join(home, "landing", feed)).sort()]));
}

describe("replay to landing", () => {
  it("lands exactly the reference files of each iteration, byte for byte", async () => {
    const home = tempDir("pulse-replay-");
    const first = await replayToLanding(home, REFERENCE, 1);
    expect(first.every((f) => f.outcome === "landed")).toBe(true);
    expect(landing(home)).toEqual({
      registered_users: ["1-registered_users_1.csv"],
      gym_logins: ["5-gym_logins_1.csv"],
      kafka_multiplex: ["2-user_info_1.json", "3-bpm_1.json.gz", "4-workout_1.json"],
    });
    for (const file of first) expect(readFileSync(file.landedAs).equals(readFileSync(file.source)), file.source).toBe(true);

    await replayToLanding(home, REFERENCE, 2);
    expect(landing(home)).toEqual({
      registered_users: ["1-registered_users_1.csv", "1-registered_users_2.csv"],
      gym_logins: ["5-gym_logins_1.csv", "5-gym_logins_2.csv"],
      kafka_multiplex: ["2-user_info_1.json", "2-user_info_2.json", "3-bpm_1.json.gz", "3-bpm_2.json.gz", "4-workout_1.json", "4-workout_2.json"],
    });
    expect(readdirSync(path.join(home, "landing", ".tmp"))).toEqual([]);
  });

  it("replaying an iteration again changes nothing, but different bytes under a landed name are refused", async () => {
    const home = tempDir("pulse-replay-");
    const data = tempDir("pulse-dataset-");
    cpSync(path.join(REFERENCE, "test_data", "5-gym_logins_1.csv"), path.join(data, "5-gym_logins_1.csv"));
    await replayToLanding(home, data, 1);
    const again = await replayToLanding(home, data, 1);
    expect(again.map((f) => f.outcome)).toEqual(["unchanged"]);

    chmodSync(path.join(data, "5-gym_logins_1.csv"), 0o644);
    writeFileSync(path.join(data, "5-gym_logins_1.csv"), "mac_address,gym,login,logout\n");
    await expect(replayToLanding(home, data, 1)).rejects.toThrow(/already exists/);
    expect(readdirSync(path.join(home, "landing", ".tmp"))).toEqual([]);
  });

  it("names the flags when the iteration has no files", async () => {
    const error = await replayToLanding(tempDir("pulse-replay-"), REFERENCE, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/--iteration 3.*--from/);
  });
});

describe("replay records", () => {
  it("streams the kafka_multiplex messages of an iteration, in feed order, with millisecond timestamps", async () => {
    const records: ProducerRecord[] = [];
    for await (const record of replayRecords(REFERENCE, 1)) records.push(record);
    const perTopic = (topic: string) => records.filter((r) => r.topic === topic).length;
    expect([perTopic("user_info"), perTopic("bpm"), perTopic("workout")]).toEqual([7, 253_801, 16]);
    expect(records.map((r) => r.topic).join(",")).toMatch(/^(user_info,){7}(bpm,){253801}(workout,){15}workout$/);
    expect(records[0]).toEqual({
      topic: "user_info",
      key: "12474",
      value: expect.stringContaining('"update_type": "new", "timestamp": 1678451168.0'),
      timestamp: 1_678_451_168_000,
      partition: 0,
    });
    expect(JSON.parse(records[7]!.value)).toEqual({ device_id: 118440, time: 1678410000, heartrate: 41.21897868284929 });
  });

  it("reports a malformed line with its file and line number", async () => {
    const data = tempDir("pulse-dataset-");
    writeFileSync(path.join(data, "4-workout_1.json"), '{"key":"1","value":"{}","topic":"workout","partition":0,"offset":1,"timestamp":1678521900}\n\n{"key":"1","topic":"workout"}\n');
    const consume = async () => {
      for await (const _ of replayRecords(data, 1));
    };
    await expect(consume()).rejects.toThrow(/4-workout_1\.json:3: not a kafka_multiplex envelope/);
  });
});
