import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { produceToKafka } from "../../produce/toKafka.js";
import { replayRecords } from "../../produce/replay.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import {
  KAFKA_BROKERS,
  REFERENCE,
  SET1,
  SET1_TOTAL,
  committedOffsets,
  kafkaClient,
  kafkaIngestArgs,
  lakeQuery,
  sendRaw,
  multiplexCount,
  startCli,
  tempHome,
  topicCounts,
  uniquePrefix,
  waitFor,
} from "./helpers.js";

const quiet = () => undefined;

async function produceSet1(prefix: string): Promise<number> {
  return produceToKafka(replayRecords(REFERENCE, 1), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 3, progressMs: 60_000, log: quiet });
}

async function* records(list: ProducerRecord[]): AsyncGenerator<ProducerRecord> {
  yield* list;
}

describe("pulse ingest --source kafka", { timeout: 300_000 }, () => {
  it("ingests reference set 1 exactly, commits after the writes, and stops cleanly on SIGTERM", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("e2e");
    const group = `${prefix}group`;
    expect(await produceSet1(prefix)).toBe(SET1_TOTAL);
    const ingest = startCli(kafkaIngestArgs(home, prefix));
    await waitFor("set 1 in bronze", async () => (await multiplexCount(home)) >= SET1_TOTAL, 120_000, 500, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);

    const counts = await topicCounts(home, "coordinates");
    expect(counts).toEqual({
      user_info: { rows: SET1.user_info, distinct: SET1.user_info },
      bpm: { rows: SET1.bpm, distinct: SET1.bpm },
      workout: { rows: SET1.workout, distinct: SET1.workout },
    });
    const [sample] = await lakeQuery(home, `SELECT * FROM {kafka_multiplex} WHERE topic = 'user_info' AND "offset" = 0`);
    expect(sample).toMatchObject({ topic: "user_info", _source: `kafka:${prefix}user_info`, message_id: "user_info/0/0", key: "12474" });
    expect(JSON.parse(String(sample!.value))).toMatchObject({ user_id: 12474, update_type: "new" });
    expect(await lakeQuery(home, "SELECT count(*) AS n FROM {dead_letters}")).toEqual([{ n: 0 }]);

    // The reference envelopes all name partition 0, and the replay keeps it.
    const topics = ["user_info", "bpm", "workout"].map((t) => `${prefix}${t}`);
    expect(await committedOffsets(group, topics)).toEqual({
      [`${prefix}user_info/0`]: SET1.user_info,
      [`${prefix}bpm/0`]: SET1.bpm,
      [`${prefix}workout/0`]: SET1.workout,
    });

    const status = startCli(["ingest", "status", "--home", home, "--json"]);
    expect(await status.exited).toBe(0);
    const rows = JSON.parse(status.output()) as { stream: string; partition: number; committed: number; lakeOffset: number; lag: number }[];
    expect(rows.find((r) => r.stream === `${prefix}bpm` && r.partition === 0)).toMatchObject({ committed: SET1.bpm, lakeOffset: SET1.bpm - 1, lag: 0 });
  });

  it("does not write twice what the lake already holds when the broker's commit was lost, and catches the commit up", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("lost-commit");
    const group = `${prefix}group`;
    const topic = `${prefix}workout`;
    const list = Array.from({ length: 40 }, (_, i): ProducerRecord => ({
      topic: "workout",
      key: String(i),
      value: JSON.stringify({ user_id: i, workout_id: 1, session_id: 1, timestamp: 1678521900 + i, action: "start" }),
      timestamp: 1678521900_000 + i,
      partition: 0,
    }));
    await produceToKafka(records(list), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 1, progressMs: 60_000, log: quiet });
    const first = startCli(kafkaIngestArgs(home, prefix, ["--topics", "workout"]));
    await waitFor("40 rows", async () => (await multiplexCount(home)) === 40, 60_000, 250, first);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // What a SIGKILL between the lake rename and the offset commit leaves behind: rows in the lake, no commit.
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "0" }] });
    await admin.disconnect();

    const second = startCli(kafkaIngestArgs(home, prefix, ["--topics", "workout", "--flush-ms", "200"]));
    await waitFor("the commit to catch up with the lake", async () => (await committedOffsets(group, [topic]))[`${topic}/0`] === 40, 60_000, 250, second);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(await topicCounts(home, "coordinates")).toEqual({ workout: { rows: 40, distinct: 40 } });
  });

  it("dead-letters poison messages with their bytes and reason, and keeps going", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("poison");
    const group = `${prefix}group`;
    const valid = (t: number) => JSON.stringify({ device_id: 118440, time: t, heartrate: 60.5 });
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x81]);
    await sendRaw(`${prefix}bpm`, [
      valid(1678410000),
      "not json {",
      JSON.stringify({ device_id: 118440, time: 1678410001, heartrate: "fast" }),
      JSON.stringify({ device_id: 118440, heartrate: 70 }),
      binary,
      valid(1678410002),
      JSON.stringify({ device_id: 118440, time: 1678410003, heartrate: null }),
    ]);
    const ingest = startCli(kafkaIngestArgs(home, prefix, ["--topics", "bpm"]));
    await waitFor("valid rows", async () => (await multiplexCount(home)) === 3, 60_000, 250, ingest);
    await sendRaw(`${prefix}bpm`, [valid(1678410004)]);
    await waitFor("the stream to go on after the poison", async () => (await multiplexCount(home)) === 4, 60_000, 250, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);

    const dead = await lakeQuery(home, "SELECT source, feed, raw, reason, _source FROM {dead_letters} ORDER BY source");
    expect(dead.map((d) => d.source)).toEqual([1, 2, 3, 4].map((o) => `${prefix}bpm/0/${o}`));
    expect(dead.every((d) => d.feed === "bpm" && d._source === `kafka:${prefix}bpm`)).toBe(true);
    expect(dead.map((d) => String(d.reason))).toEqual([expect.stringContaining("not JSON"), expect.stringMatching(/heartrate/), expect.stringMatching(/time/), expect.stringContaining("not UTF-8")]);
    expect(Buffer.from(dead[3]!.raw as Uint8Array).equals(binary)).toBe(true);
    expect(Buffer.from(dead[0]!.raw as Uint8Array).toString()).toBe("not json {");
    const kept = await lakeQuery(home, `SELECT "offset" FROM {kafka_multiplex} ORDER BY 1`);
    expect(kept.map((r) => r.offset)).toEqual([0, 5, 6, 7]);
    expect(await committedOffsets(group, [`${prefix}bpm`])).toEqual({ [`${prefix}bpm/0`]: 8 });
  });

  it("does not commit past a batch whose dead-letter write failed, and delivers it once the lake is writable", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("dl-fail");
    const group = `${prefix}group`;
    const topic = `${prefix}bpm`;
    const valid = (t: number) => JSON.stringify({ device_id: 1, time: t, heartrate: 80 });
    await sendRaw(topic, [valid(1678410000)]);
    const ingest = startCli(kafkaIngestArgs(home, prefix, ["--topics", "bpm", "--flush-ms", "200"]));
    await waitFor("first row", async () => (await committedOffsets(group, [topic]))[`${topic}/0`] === 1, 60_000, 250, ingest);

    const deadLetters = path.join(home, "lake", "bronze", "dead_letters");
    await rm(deadLetters, { recursive: true });
    await writeFile(deadLetters, "a file where the dead-letter folder should be\n");
    await sendRaw(topic, [valid(1678410001), "poison", valid(1678410002)]);
    await waitFor("a failed write", async () => ingest.output().includes("lake write failed"), 60_000, 250, ingest);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await committedOffsets(group, [topic])).toEqual({ [`${topic}/0`]: 1 });
    expect(await multiplexCount(home)).toBe(1);

    await rm(deadLetters);
    await mkdir(deadLetters);
    await waitFor("the retried batch", async () => (await committedOffsets(group, [topic]))[`${topic}/0`] === 4, 30_000, 250, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    expect(await topicCounts(home, "coordinates")).toEqual({ bpm: { rows: 3, distinct: 3 } });
    expect(await lakeQuery(home, "SELECT source FROM {dead_letters}")).toEqual([{ source: `${topic}/0/2` }]);
  });
});
