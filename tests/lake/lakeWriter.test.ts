import { spawnSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { kafkaTimestampDate } from "../../lake/kafkaTimestamp.js";
import { bronze, query, tempHome } from "../landing/landingTestHome.js";

describe("LakeWriter", () => {
  let home: string;
  let writer: LakeWriter;

  beforeEach(async () => {
    home = await tempHome();
    writer = await LakeWriter.open(home);
  });
  afterEach(async () => {
    await writer.close();
  });

  const batches = async (table: string) => (await readdir(path.join(homePaths(home).bronze, table))).filter((f) => f !== "_empty.parquet").sort();

  it("commits JS rows as one Parquet batch with every contract type and provenance", async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({
      key: i % 2 === 0 ? `k${i}` : null,
      value: `{"n": ${i}}`,
      topic: "bpm",
      partition: 3,
      offset: BigInt(i),
      timestamp: 1678492800000 + i,
      date: kafkaTimestampDate(1678492800000 + i),
      message_id: `bpm/3/${i}`,
      _source: "kafka:bpm",
      _source_line: null,
    }));
    const batch = await writer.writeRows("kafka_multiplex", rows);
    expect(batch.rows).toBe(30_000);
    expect(path.dirname(batch.file)).toBe(path.join(homePaths(home).bronze, "kafka_multiplex"));
    // Named by its lake commit time (µs), which is the batch's ingestedAt.
    const [, commitMicros, id] = /^(\d{16})-(.+)\.parquet$/.exec(path.basename(batch.file))!;
    expect(id).toBe(batch.batchId);
    expect(Math.floor(Number(commitMicros) / 1000)).toBe(batch.ingestedAt.getTime());
    const back = await query(`SELECT * FROM ${bronze(home, "kafka_multiplex")} WHERE "offset" = 1`);
    expect(back).toEqual([
      {
        key: null,
        value: '{"n": 1}',
        topic: "bpm",
        partition: 3,
        offset: "1",
        timestamp: "1678492800001",
        date: "2023-03-11",
        message_id: "bpm/3/1",
        _source: "kafka:bpm",
        _source_line: null,
        _ingested_at: expect.any(String),
        _batch: batch.batchId,
      },
    ]);
    const dead = await writer.writeRows("dead_letters", [
      { source: "bpm/0/7", feed: "bpm", line: null, raw: new Uint8Array([0, 255, 10]), reason: "bad", dead_lettered_at: new Date("2025-01-02T03:04:05.678Z"), _source: "kafka:bpm" },
    ]);
    expect(await query(`SELECT hex(raw) AS raw, CAST(dead_lettered_at AS VARCHAR) AS at, _batch FROM ${bronze(home, "dead_letters")}`)).toEqual([
      { raw: "00FF0A", at: "2025-01-02 03:04:05.678", _batch: dead.batchId },
    ]);
  });

  it("rejects unknown columns and wrongly typed values, naming the column", async () => {
    await expect(writer.writeRows("gym_logins", [{ mac: "x" }])).rejects.toThrow(/unknown column\(s\) mac/);
    await expect(writer.writeRows("gym_logins", [{ mac_address: "x", gym: "5" }])).rejects.toThrow(/row 0 column gym \(BIGINT\)/);
    expect(await batches("gym_logins")).toEqual([]);
  });

  it("commits a query's rows, casting to the contract types", async () => {
    const batch = await writer.writeQuery("registered_users", "SELECT 1 AS user_id, '2' AS device_id, 'aa' AS mac_address, 1678451168 AS registration_timestamp, 'test' AS _source, 7 AS _source_line");
    expect(batch.rows).toBe(1);
    const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${batch.file}'))`);
    expect(types.map((t) => `${String(t.column_name)} ${String(t.column_type)}`)).toEqual([
      "user_id BIGINT",
      "device_id BIGINT",
      "mac_address VARCHAR",
      "registration_timestamp DOUBLE",
      "_source VARCHAR",
      "_source_line BIGINT",
      "_ingested_at TIMESTAMP",
      "_batch VARCHAR",
    ]);
  });

  it("gives time-sortable, unique batch ids and strictly increasing _ingested_at", async () => {
    const written = [];
    for (let i = 0; i < 5; i += 1) written.push(await writer.writeRows("gym_logins", [{ mac_address: `m${i}`, gym: i, login: 1, logout: null, _source: "t" }]));
    const ids = written.map((w) => w.batchId);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^\d{8}T\d{12}Z-[0-9a-z]+-[0-9a-f]{8}$/);
    const times = await query(`SELECT _ingested_at FROM ${bronze(home, "gym_logins")} ORDER BY _batch`);
    const micros = times.map((t) => String(t._ingested_at));
    expect(new Set(micros).size).toBe(5);
    expect([...micros].sort()).toEqual(micros);
  });

  it("removes what crashed writers left in lake/_tmp when a writer opens, and nothing a live writer owns", async () => {
    const tmp = homePaths(home).lakeTmp;
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await writeFile(path.join(tmp, `${gone}-20260101T000000000000Z-x-kafka_multiplex.parquet`), "half a batch");
    await mkdir(path.join(tmp, `${gone}-spill-abc`));
    await writeFile(path.join(tmp, `${process.pid}-mine.parquet`), "being written");
    await writeFile(path.join(tmp, "not-a-pid.parquet"), "unknown owner");
    const second = await LakeWriter.open(home);
    await second.close();
    expect((await readdir(tmp)).filter((f) => !/^\d+-spill-/.test(f) || f.startsWith(`${gone}-`)).sort()).toEqual([`${process.pid}-mine.parquet`, "not-a-pid.parquet"]);
  });

  it("leaves nothing behind when a batch fails, and replaces a batch re-committed under the same id", async () => {
    await expect(writer.writeQuery("gym_logins", "SELECT 'x' AS mac_address, 'not a number' AS gym, 1 AS login, 2 AS logout, 's' AS _source, 1 AS _source_line")).rejects.toThrow();
    expect(await batches("gym_logins")).toEqual([]);
    expect((await readdir(homePaths(home).lakeTmp)).filter((f) => !/^\d+-spill-/.test(f))).toEqual([]);
    const first = await writer.writeRows("gym_logins", [{ mac_address: "a", gym: 1, login: 1, logout: 2, _source: "s" }]);
    await writer.writeRows("gym_logins", [{ mac_address: "b", gym: 1, login: 1, logout: 2, _source: "s" }], { batchId: first.batchId });
    expect(await batches("gym_logins")).toEqual([path.basename(first.file)]);
    expect(await query(`SELECT mac_address FROM ${bronze(home, "gym_logins")}`)).toEqual([{ mac_address: "b" }]);
  });
});
