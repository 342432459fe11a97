import { describe, expect, it } from "vitest";
import { joinedKeys, plainPayloadRun } from "../../ingest/batchValidate.js";
import { validatePayload } from "../../ingest/validate.js";
import { isStreamTopic, type StreamTopic } from "../../ingest/schemas/topics.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { MultiplexBatch } from "../../ingest/sink/multiplexBatch.js";
import { PAYLOADS } from "../adversarial/payloadCorpus.js";
import { kafkaIngestArgs, sendRaw, lakeQuery, multiplexCount, startCli, tempHome, uniquePrefix, waitFor } from "./helpers.js";

const plain = '{"device_id": 118440, "time": 1678410000, "heartrate": 41.21897868284929}';
const bytes = (text: string | Buffer) => (typeof text === "string" ? Buffer.from(text) : text);

/** The corpus's stream payloads, plus what only the joined form could get wrong: separators, bytes, splits. */
const CASES: [StreamTopic, string | Buffer][] = [
  ...PAYLOADS.filter((p): p is [StreamTopic, string] => isStreamTopic(p[0])),
  ["bpm", `${plain}\n${plain}`],
  ["bpm", `${plain}\n`],
  ["bpm", `\n${plain}`],
  ["bpm", '{"device_id": 1, "time": 1678410000,'],
  ["bpm", ' "heartrate": 41.2}'],
  ["bpm", Buffer.from('{"device_id": 1, "time": 1678410000, "heartrate": 4\u00e91}', "latin1")],
  ["bpm", Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ["bpm", '{"device_id": 1, "time": 1678410000, "heartrate": 41.2} '],
  ["bpm", ""],
];

describe("bulk payload checks agree with the per-message checks", () => {
  it("a run of plain payloads passes whole, as the exact text of its messages", () => {
    const values = [plain, '{"device_id":0,"time":0.5,"heartrate":null}', '{"device_id": 7, "time": 1678410001, "heartrate": -0}'];
    expect(values.every((v) => validatePayload("bpm", Buffer.from(v)).ok)).toBe(true);
    expect(plainPayloadRun("bpm", values.map(bytes))?.split("\n")).toEqual(values);
  });

  it.each(CASES.map(([topic, value], i) => [i, topic, value] as const))("case %i (%s): the bulk check passes a run holding it only if the per-message check accepts it", (_, topic, value) => {
    const perMessage = validatePayload(topic, bytes(value));
    const alone = plainPayloadRun(topic, [bytes(value)]);
    const amongGood = plainPayloadRun(topic, [bytes(plain), bytes(value), bytes(plain)]);
    if (!perMessage.ok) {
      // A run holding a bad message always goes to the per-message path, which dead-letters it with its reason.
      expect(alone).toBeUndefined();
      expect(amongGood).toBeUndefined();
    }
    if (alone !== undefined) expect(perMessage).toEqual({ ok: true, value: alone });
    if (amongGood !== undefined) expect(amongGood.split("\n")).toEqual([plain, bytes(value).toString("utf8"), plain]);
  });

  it("the corpus's bad payloads are rejected by the per-message path (and so never pass in bulk)", () => {
    const bad = CASES.filter(([topic, value]) => !validatePayload(topic, bytes(value)).ok);
    expect(bad.length).toBeGreaterThan(30);
    expect(bad.filter(([topic, value]) => plainPayloadRun(topic, [bytes(value)]) !== undefined)).toEqual([]);
  });

  it("keys join only when the joined form carries them unchanged", () => {
    expect(joinedKeys([bytes("1"), bytes("22")])).toBe("1\n22");
    expect(joinedKeys([null, null])).toBeNull();
    expect(joinedKeys([bytes("1"), null])).toBeUndefined();
    expect(joinedKeys([bytes("a\nb")])).toBeUndefined();
    expect(joinedKeys([bytes("é")])).toBeUndefined();
    expect(joinedKeys([bytes("")])).toBe("");
  });

  it("a run writes the same lake rows as its messages one by one", async () => {
    const home = await tempHome();
    const writer = await LakeWriter.open(home, { threads: 1 });
    try {
      const values = [plain, '{"device_id":0,"time":0.5,"heartrate":null}', plain];
      const keys = ["k0", "", "k2"];
      const timestamps = ["1678410000000", "0", "1678410002123"];
      const byRun = new MultiplexBatch();
      byRun.pushRun({ topic: "bpm", partition: 2, firstOffset: 40, count: 3, keys: keys.join("\n"), values: values.join("\n"), timestamps: timestamps.join(","), source: "kafka:t" });
      byRun.pushRun({ topic: "bpm", partition: 1, firstOffset: 0, count: 1, keys: null, values: plain, timestamps: "5", source: "kafka:t" });
      const oneByOne = new MultiplexBatch();
      values.forEach((value, i) => oneByOne.push({ key: keys[i]!, value, topic: "bpm", partition: 2, offset: 40 + i, timestamp: Number(timestamps[i]), messageId: null, source: "kafka:t" }));
      oneByOne.push({ key: null, value: plain, topic: "bpm", partition: 1, offset: 0, timestamp: 5, messageId: null, source: "kafka:t" });
      const [a, b] = [await byRun.write(writer, "run"), await oneByOne.write(writer, "rows")];
      const rowsOf = (file: string) => writer.readRows(`SELECT * EXCLUDE (_ingested_at, _batch) FROM read_parquet('${file}') ORDER BY "partition", "offset"`);
      const [runRows, singleRows] = [await rowsOf(a.file), await rowsOf(b.file)];
      expect(runRows).toHaveLength(4);
      expect(runRows).toEqual(singleRows);
    } finally {
      await writer.close();
    }
  });
});

describe("the corpus through Kafka: bulk runs and per-message fallback", { timeout: 180_000 }, () => {
  it("bronze holds exactly what the per-message check accepts, dead letters exactly what it rejects, with its reasons", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("bulk");
    const feeds = ["bpm", "workout", "user_info"] as const;
    // Runs of good plain messages around each case, so both paths are taken within one fetch.
    const sent = new Map<StreamTopic, Buffer[]>(feeds.map((f) => [f, []]));
    for (const [topic, value] of CASES) sent.get(topic)!.push(...(topic === "bpm" ? [bytes(plain), bytes(plain)] : []), bytes(value));
    sent.get("bpm")!.push(...Array.from({ length: 5000 }, () => bytes(plain)));
    for (const f of feeds) await sendRaw(`${prefix}${f}`, sent.get(f)!);
    const expected = feeds.flatMap((f) => sent.get(f)!.map((value, offset) => ({ feed: f, offset, value, verdict: validatePayload(f, value) })));
    const good = expected.filter((e) => e.verdict.ok);
    const bad = expected.filter((e) => !e.verdict.ok);

    const ingest = startCli(kafkaIngestArgs(home, prefix));
    await waitFor("every good message in bronze", async () => (await multiplexCount(home)) >= good.length, 120_000, 250, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);

    const rows = await lakeQuery(home, `SELECT topic, "offset", "key", value FROM {kafka_multiplex} ORDER BY topic, "offset"`);
    const byCoordinates = (a: { feed: string; offset: number }, b: { feed: string; offset: number }) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : a.offset - b.offset);
    expect(rows.map((r) => ({ feed: r.topic, offset: Number(r.offset), key: r.key, value: r.value }))).toEqual(
      good.sort(byCoordinates).map((e) => ({ feed: e.feed, offset: e.offset, key: String(e.offset), value: e.verdict.ok ? e.verdict.value : "" })),
    );
    const dead = await lakeQuery(home, `SELECT feed, source, raw, reason FROM {dead_letters}`);
    const deadOf = new Map(dead.map((d) => [String(d.source), d]));
    expect(dead).toHaveLength(bad.length);
    for (const e of bad) {
      const d = deadOf.get(`${prefix}${e.feed}/0/${e.offset}`);
      expect(d, `${e.feed}/${e.offset}`).toBeDefined();
      expect(d!.reason).toBe(e.verdict.ok ? undefined : e.verdict.reason);
      expect(Buffer.from(d!.raw as Uint8Array).equals(e.value)).toBe(true);
    }
  });
});
