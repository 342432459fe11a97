import { describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { pulseCli } from "../pipeline/referenceChecks.js";
import { kafkaClient, kafkaIngestArgs, lakeQuery, startCli, tempHome, uniquePrefix, waitFor, type CliProcess } from "./helpers.js";

/** A bpm reading whose payload says which incarnation and offset it was sent as. */
const reading = (device: number, i: number) => JSON.stringify({ device_id: device, time: 1_700_000_000 + i, heartrate: 60 + (i % 40) });

async function recreate(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.deleteTopics({ topics: [topic], timeout: 20_000 });
  // Deletion is asynchronous on the broker: creating again too early answers "topic already exists". Under a running
  // ingest the topic may never be seen gone: the consumer's next metadata request creates it again at once
  // (auto.create.topics.enable, as on this broker), with every partition empty. A CI run timed out here that way.
  await waitFor(
    `${topic} deleted`,
    async () => {
      if (!(await admin.listTopics()).includes(topic)) return true;
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
      return offsets !== undefined && offsets.every((p) => p.high === "0");
    },
    30_000,
    250,
  );
  await waitFor(
    `${topic} created again`,
    async () => {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      return (await admin.listTopics()).includes(topic);
    },
    30_000,
    500,
  );
}

/** Sends readings 0..count-1 of `device`; `sentAt` tells sends of the same readings apart (Kafka timestamps). */
async function send(topic: string, partition: number, device: number, count: number, sentAt = 0): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ partition, value: reading(device, i), timestamp: String(1_700_000_000_000 + sentAt * 100_000 + device * 1000 + i) })),
    });
  } finally {
    await producer.disconnect();
  }
}

function ingest(home: string, prefix: string): CliProcess {
  return startCli(kafkaIngestArgs(home, prefix, ["--topics", "bpm", "--flush-ms", "200"]));
}

async function stop(process: CliProcess): Promise<void> {
  process.child.kill("SIGTERM");
  expect(await process.exited, process.output()).toBe(0);
}

async function status(home: string): Promise<string> {
  const cli = startCli(["ingest", "status", "--home", home]);
  expect(await cli.exited, cli.output()).toBe(0);
  return cli.output();
}

/** Readings in the lake per device (device = incarnation marker in these tests), and whether ids are unique. */
async function lakeByDevice(home: string): Promise<{ device: number; rows: number; readings: number; ids: number }[]> {
  const rows = await lakeQuery(
    home,
    `SELECT CAST(json_extract(value, '$.device_id') AS INTEGER) AS device, count(*) AS rows, count(DISTINCT value) AS readings, count(DISTINCT message_id) AS ids
     FROM {kafka_multiplex} GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({ device: Number(r.device), rows: Number(r.rows), readings: Number(r.readings), ids: Number(r.ids) }));
}

/** Runs `body` with a fresh `<prefix>bpm` topic of `partitions` partitions, deleted afterwards. */
async function withTopic(name: string, partitions: number, body: (topic: string, prefix: string, admin: Admin) => Promise<void>): Promise<void> {
  const prefix = uniquePrefix(name);
  const topic = `${prefix}bpm`;
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await body(topic, prefix, admin);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

const totalRows = async (home: string) => (await lakeByDevice(home)).reduce((n, d) => n + d.rows, 0);

describe("kafka topic identity", { timeout: 300_000 }, () => {
  it("ingests a topic deleted and recreated while the ingest was stopped, with new ids, status flags it first, and silver keeps one row per reading", async () => {
    const home = await tempHome();
    await withTopic("recreate", 2, async (topic, prefix, admin) => {
      await send(topic, 0, 1, 40);
      await send(topic, 1, 1, 10);
      const first = ingest(home, prefix);
      await waitFor("the first incarnation in the lake", async () => (await totalRows(home)) === 50, 90_000, 250, first);
      await stop(first);

      // Partition 0 comes back shorter than what was ingested (end offset behind the lake); partition 1 longer,
      // so only its messages tell the incarnations apart. Partition 1 now carries readings already ingested
      // from partition 0 (sent again, later): bronze keeps both sends, silver one reading each.
      await recreate(admin, topic, 2);
      await send(topic, 0, 2, 15, 1);
      await send(topic, 1, 1, 30, 1);

      const before = await status(home);
      expect(before).toMatch(new RegExp(`warning: ${topic}/0: recreated: the broker's end offset 15 is at or below offset 39`));
      expect(before).not.toMatch(/ -\d/);

      const second = ingest(home, prefix);
      await waitFor("the second incarnation in the lake", async () => (await totalRows(home)) === 95, 90_000, 250, second);
      await stop(second);
      expect(second.output()).toMatch(new RegExp(`${topic}/0 was recreated: the broker's end offset 15`));
      expect(second.output()).toMatch(new RegExp(`${topic}/1 was recreated: offset 0 now holds another message`));

      expect(await lakeByDevice(home)).toEqual([
        { device: 1, rows: 80, readings: 40, ids: 80 },
        { device: 2, rows: 15, readings: 15, ids: 15 },
      ]);
      const ids = await lakeQuery(
        home,
        `SELECT count(*) AS n, count(DISTINCT message_id) AS d, min(message_id) FILTER (WHERE "partition" = 0 AND "offset" = 0 AND value LIKE '{"device_id":2%') AS id FROM {kafka_multiplex}`,
      );
      expect(ids).toEqual([{ n: 95, d: 95, id: "bpm@1/0/0" }]);

      const after = await status(home);
      expect(after).toMatch(new RegExp(`warning: ${topic}/0: recreated on .*: ingested as incarnation 1 .*incarnation 0 ended at offset 39`));
      expect(after).toMatch(new RegExp(`warning: ${topic}/1: recreated on .*: ingested as incarnation 1 .*incarnation 0 ended at offset 9`));

      pulseCli(home, "run", "--actions", "silver.heart_rate");
      const silver = JSON.parse(pulseCli(home, "query", "--format", "json", "SELECT device_id, count(*) AS n, count(DISTINCT time) AS d FROM silver.heart_rate GROUP BY 1 ORDER BY 1"));
      expect(silver).toEqual([
        { device_id: 1, n: 40, d: 40 },
        { device_id: 2, n: 15, d: 15 },
      ]);
    });
  });

  it("ingests a topic deleted and recreated under a running ingest", async () => {
    const home = await tempHome();
    await withTopic("recreate-live", 1, async (topic, prefix, admin) => {
      await send(topic, 0, 1, 20);
      const running = ingest(home, prefix);
      await waitFor("the first incarnation in the lake", async () => (await totalRows(home)) === 20, 90_000, 250, running);
      await recreate(admin, topic, 1);
      await send(topic, 0, 2, 60);
      await waitFor("the second incarnation in the lake", async () => (await totalRows(home)) === 80, 120_000, 250, running);
      await stop(running);
      expect(running.output()).toMatch(new RegExp(`${topic}/0 was recreated: offset 19 now holds another message`));
      expect(await lakeByDevice(home)).toEqual([
        { device: 1, rows: 20, readings: 20, ids: 20 },
        { device: 2, rows: 60, readings: 60, ids: 60 },
      ]);
    });
  });
});
