import { readdir } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { loadLandingOnce, type LandingSummary } from "../../ingest/landing/loadLanding.js";
import { bronze, countRows, landSet, query, tempHome } from "./landingTestHome.js";

describe("landing loader on the reference data set", () => {
  let home: string;
  let first: LandingSummary;
  let second: LandingSummary;
  let again: LandingSummary;

  beforeAll(async () => {
    home = await tempHome();
    await landSet(home, 1);
    first = await loadLandingOnce(home);
    await landSet(home, 2);
    second = await loadLandingOnce(home);
    again = await loadLandingOnce(home);
  });

  it("loads set 1 with the README's row counts and no dead letters", () => {
    expect(first.loaded).toHaveLength(5);
    expect(first.rows).toEqual({ registered_users: 5, gym_logins: 8, kafka_multiplex: 7 + 253801 + 16 });
    expect(first.deadLetters).toBe(0);
    expect(first.quarantined).toEqual([]);
  });

  it("loads only set 2's files on the second run", () => {
    expect(second.loaded).toHaveLength(5);
    expect(second.skipped).toBe(5);
    expect(second.rows).toEqual({ registered_users: 5, gym_logins: 8, kafka_multiplex: 6 + 253801 + 16 });
  });

  it("loads nothing on a run with no new files", async () => {
    expect(again.loaded).toEqual([]);
    expect(again.skipped).toBe(10);
    expect(again.rows).toEqual({ registered_users: 0, gym_logins: 0, kafka_multiplex: 0 });
    expect(await countRows(home, "kafka_multiplex")).toBe(7 + 6 + 16 + 16 + 2 * 253801);
  });

  it("has exact bronze counts per feed and topic", async () => {
    expect(await countRows(home, "registered_users")).toBe(10);
    expect(await countRows(home, "gym_logins")).toBe(16);
    const topics = await query(`SELECT topic, count(*) AS n FROM ${bronze(home, "kafka_multiplex")} GROUP BY topic ORDER BY topic`);
    expect(topics).toEqual([
      { topic: "bpm", n: String(2 * 253801) },
      { topic: "user_info", n: "13" },
      { topic: "workout", n: "32" },
    ]);
    expect(await countRows(home, "dead_letters")).toBe(0);
  });

  it("keeps CSV values exact and typed, with provenance", async () => {
    const users = await query(`SELECT * FROM ${bronze(home, "registered_users")} WHERE _source LIKE '%_1.csv' ORDER BY _source_line`);
    expect(users[0]).toMatchObject({
      user_id: "12474",
      device_id: "118440",
      mac_address: "4c:c5:9f:cb:13:bd",
      registration_timestamp: 1678451168,
      _source: "landing:registered_users/1-registered_users_1.csv",
      _source_line: "2",
    });
    expect(users.map((u) => u._source_line)).toEqual(["2", "3", "4", "5", "6"]);
    const gym = await query(`SELECT * FROM ${bronze(home, "gym_logins")} WHERE _source LIKE '%_1.csv' AND _source_line = 2`);
    expect(gym[0]).toMatchObject({ mac_address: "4c:c5:9f:cb:13:bd", gym: "5", login: 1678521600, logout: 1678526100 });
  });

  it("keeps the Kafka envelope as given and the payload as the raw string", async () => {
    const rows = await query(`SELECT * FROM ${bronze(home, "kafka_multiplex")} WHERE _source = 'landing:kafka_multiplex/2-user_info_1.json' AND _source_line = 1`);
    expect(rows[0]).toMatchObject({
      key: "12474",
      topic: "user_info",
      partition: 0,
      offset: "12791",
      timestamp: "1678451168",
      date: "2023-03-10",
      message_id: "user_info/0/12791",
    });
    expect(String(rows[0]?.value)).toMatch(/^\{"user_id": 12474, "update_type": "new", "timestamp": 1678451168.0, /);
    expect(JSON.parse(String(rows[0]?.value)).address.city).toBe("San Fernando");
  });

  it("numbers every line of a gzip file by its position (offset + 1 in the bpm files)", async () => {
    const mismatched = await query(`SELECT count(*) AS n FROM ${bronze(home, "kafka_multiplex")} WHERE topic = 'bpm' AND _source_line <> "offset" + 1`);
    expect(mismatched).toEqual([{ n: "0" }]);
    const perFile = await query(
      `SELECT _source, min(_source_line) AS lo, max(_source_line) AS hi, count(DISTINCT _source_line) AS n FROM ${bronze(home, "kafka_multiplex")} WHERE topic = 'bpm' GROUP BY _source ORDER BY _source`,
    );
    expect(perFile).toEqual([
      { _source: "landing:kafka_multiplex/3-bpm_1.json.gz", lo: "1", hi: "253801", n: "253801" },
      { _source: "landing:kafka_multiplex/3-bpm_2.json.gz", lo: "1", hi: "253801", n: "253801" },
    ]);
  });

  it("stamps each row with its batch id and a batch time: one Parquet file per large file, small all-good files of a feed share one", async () => {
    const batches = await query(
      `SELECT _source, count(DISTINCT _batch) AS batches, any_value(_batch) AS batch, min(_ingested_at) = max(_ingested_at) AS one_time FROM ${bronze(home, "kafka_multiplex")} GROUP BY _source ORDER BY _source`,
    );
    expect(batches).toHaveLength(6);
    for (const batch of batches) expect(batch).toMatchObject({ batches: "1", one_time: true });
    const batchOf = (file: string) => batches.find((b) => b._source === `landing:kafka_multiplex/${file}`)?.batch;
    // Set 2's small envelope files load as one group; set 1's user_info file ends in blank lines, which the group
    // read cannot number, so set 1's small files loaded one by one.
    expect(batchOf("2-user_info_2.json")).toBe(batchOf("4-workout_2.json"));
    expect(batchOf("2-user_info_1.json")).not.toBe(batchOf("4-workout_1.json"));
    const files = (await readdir(path.join(homePaths(home).bronze, "kafka_multiplex"))).filter((f) => f !== "_empty.parquet");
    expect(files).toHaveLength(5);
    const ids = await query(`SELECT DISTINCT _batch FROM ${bronze(home, "kafka_multiplex")} ORDER BY 1`);
    expect(ids.map((r) => `${String(r._batch)}.parquet`)).toEqual(files.map((f) => f.slice("0000000000000000-".length)).sort());
    expect(await readdir(homePaths(home).lakeTmp)).toEqual([]);
  });
});
