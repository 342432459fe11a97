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
import { PAYLOADS, bpm } from "./payloadCorpus.js";

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
