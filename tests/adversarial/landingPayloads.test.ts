import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "../../lib/duckdb.js";
import { validatePayload } from "../../ingest/validate.js";
import { isStreamTopic } from "../../ingest/schemas/topics.js";
import { kafkaCheckedLinesSql } from "../../ingest/landing/checkedLinesSql.js";
import { kafkaEnvelopeFastSql } from "../../ingest/landing/kafkaEnvelopeSql.js";
import { BAD_LINE_ABORT } from "../../ingest/landing/badLines.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { countRows, land, query, bronze, tempHome } from "../landing/landingTestHome.js";

const bpm = (fields: Record<string, unknown>) => JSON.stringify({ device_id: 1, time: 1678410000, heartrate: 60, ...fields });
const workout = (fields: Record<string, unknown>) => JSON.stringify({ user_id: 1, workout_id: 2, session_id: 3, timestamp: 1678410000, action: "start", ...fields });
const user = (fields: Record<string, unknown>) =>
  JSON.stringify({ user_id: 7, update_type: "new", timestamp: 1678410000, dob: "01/31/1990", first_name: "A", address: { street_address: "1 Main", city: "X", state: "CA", zip: 12345 }, ...fields });

/** Payloads by topic, good and bad, the edges of every rule in ingest/schemas/topics.ts. */
const PAYLOADS: [string, string][] = [
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

const envelopeLine = ([topic, value]: [string, string], offset: number) => JSON.stringify({ key: "k", value, topic, partition: 0, offset, timestamp: 1678410000 });

/** What the stream path decides for a payload (topics without a schema are not checked). */
const streamAccepts = ([topic, value]: [string, string]) => !isStreamTopic(topic) || validatePayload(topic, Buffer.from(value)).ok;

describe("landing envelope payloads pass the stream path's per-topic checks", () => {
  let dir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pulse-payloads-"));
    instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    connection = await instance.connect();
  });
  afterAll(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it("the corpus has good and bad payloads of every topic", () => {
    const verdicts = PAYLOADS.map(streamAccepts);
    expect(verdicts.filter((v) => v).length).toBeGreaterThan(10);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(20);
  });

  it("the line-by-line path accepts exactly what the stream path accepts", async () => {
    const file = path.join(dir, "all.json");
    await writeFile(file, `${PAYLOADS.map(envelopeLine).join("\n")}\n`);
    const rows = (await connection.runAndReadAll(`SELECT line, reason FROM (${kafkaCheckedLinesSql({ files: [{ absolute: file, source: "t" }], gzip: false })}) ORDER BY line`)).getRowObjectsJS();
    const landing = rows.map((r) => r.reason === null);
    expect(landing.map((ok, i) => [PAYLOADS[i]![1].slice(0, 80), ok])).toEqual(PAYLOADS.map((p) => [p[1].slice(0, 80), streamAccepts(p)]));
    const reasons = rows.filter((r) => r.reason !== null).map((r) => String(r.reason));
    expect(reasons.every((r) => /^(bpm|workout|user_info) schema: /.test(r))).toBe(true);
  });

  it("the fast path (DuckDB's JSON reader, also used for groups of small files) accepts exactly the same", async () => {
    const fast: boolean[] = [];
    for (const [i, payload] of PAYLOADS.entries()) {
      const file = path.join(dir, `one-${i}.json`);
      await writeFile(file, `${envelopeLine(payload, i)}\n`);
      try {
        await connection.runAndReadAll(`SELECT count(*) FROM (${kafkaEnvelopeFastSql({ files: [{ absolute: file, source: "t" }], gzip: false })})`);
        fast.push(true);
      } catch (error) {
        expect((error as Error).message).toContain(BAD_LINE_ABORT);
        fast.push(false);
      }
    }
    expect(fast.map((ok, i) => [PAYLOADS[i]![1].slice(0, 80), ok])).toEqual(PAYLOADS.map((p) => [p[1].slice(0, 80), streamAccepts(p)]));
  });

  it("a 10 MB string heart rate is a dead letter, not a NULL reading", async () => {
    const home = await tempHome();
    const huge = envelopeLine(["bpm", bpm({ heartrate: "9".repeat(10 << 20) })], 2);
    await land(home, "kafka_multiplex", "huge.json", [envelopeLine(["bpm", bpm({})], 1), huge, envelopeLine(["bpm", bpm({})], 3)].join("\n"));
    await land(home, "kafka_multiplex", "small.json", `${envelopeLine(["bpm", bpm({ heartrate: "fast" })], 9)}\n`);
    const summary = await loadLandingOnce(home, { settleMs: 0 });
    expect(summary.rows.kafka_multiplex).toBe(2);
    expect(summary.deadLetters).toBe(2);
    expect(await countRows(home, "kafka_multiplex", `json_extract(value, '$.heartrate') IS NULL OR json_type(value, '$.heartrate') <> 'UBIGINT'`)).toBe(0);
    const dead = await query(`SELECT source, line, reason FROM ${bronze(home, "dead_letters")} ORDER BY source`);
    expect(dead).toEqual([
      { source: "landing:kafka_multiplex/huge.json", line: "2", reason: "bpm schema: heartrate must be a finite number or null" },
      { source: "landing:kafka_multiplex/small.json", line: "1", reason: "bpm schema: heartrate must be a finite number or null" },
    ]);
  });
});
