import fs from "node:fs";
import type { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { produceToKafka } from "../../produce/toKafka.js";
import { produceToPubsub } from "../../produce/toPubsub.js";
import { replayRecords } from "../../produce/replay.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { KAFKA_BROKERS, PUBSUB_EMULATOR_HOST, REFERENCE, committedOffsets, kafkaIngestArgs, startCli, tempHome, uniquePrefix, waitFor } from "../ingest/helpers.js";
import { writeSmallReference } from "./smallReference.js";
import { startInitialisedEmulator, type PrivateEmulator } from "./privateEmulator.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
const quiet = () => undefined;

let emulator: PrivateEmulator;
let bigquery: BigQuery;
let env: NodeJS.ProcessEnv;
let small: string;
/** The small reference set 1 (~2,600 messages: the emulator writes a few thousand rows a second). */
let set1: ProducerRecord[];

beforeAll(async () => {
  small = await writeSmallReference(REFERENCE);
  set1 = [];
  for await (const record of replayRecords(small, 1)) set1.push(record);
  ({ emulator, env, bigquery } = await startInitialisedEmulator());
});

afterAll(async () => {
  await emulator?.stop();
  if (small) fs.rmSync(small, { recursive: true, force: true });
});

async function* each(list: ProducerRecord[]): AsyncGenerator<ProducerRecord> {
  yield* list;
}

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const [rows] = await bigquery.query({ query: sql });
  return rows as T[];
}

function ingestArgs(prefix: string, home: string, extra: string[] = []): string[] {
  return kafkaIngestArgs(home, prefix, ["--sink", "bigquery", "--gcp-project", GCP, ...extra]);
}

/** The messages of `prefix` in BigQuery bronze: rows, distinct ids, and ids whose copies differ (must be none). */
async function bronzeOf(prefix: string): Promise<{ rows: number; ids: number; conflicting: number }> {
  const [row] = await query<{ copies: number; ids: number; conflicting: number }>(
    `SELECT count(*) AS copies, count(DISTINCT message_id) AS ids,
       (SELECT count(*) FROM (SELECT message_id FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source LIKE 'kafka:${prefix}%' GROUP BY message_id HAVING count(DISTINCT value) > 1 OR count(DISTINCT _source) > 1)) AS conflicting
     FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source LIKE 'kafka:${prefix}%'`,
  );
  return { rows: row!.copies, ids: row!.ids, conflicting: row!.conflicting };
}

const expectedIds = (records: ProducerRecord[]) => {
  const next = new Map<string, number>();
  return records.map((r) => {
    const key = `${r.topic}/${r.partition ?? 0}`;
    const offset = next.get(key) ?? 0;
    next.set(key, offset + 1);
    return { id: `${key}/${offset}`, topic: r.topic, value: r.value, offset, timestamp: r.timestamp };
  });
};

describe("pulse ingest --sink bigquery (Storage Write API on the emulator, real Kafka)", { timeout: 400_000 }, () => {
  it("writes the reference messages into bronze.kafka_multiplex and poison into bronze.dead_letters, committing offsets after BigQuery", async () => {
    const prefix = uniquePrefix("bq-sink");
    const poison = ["not json {", JSON.stringify({ device_id: 118440, heartrate: 70 })];
    const poisonRecords = poison.map((value, i): ProducerRecord => ({ topic: "bpm", key: `p${i}`, value, timestamp: 1678410000_000 + i, partition: 0 }));
    const sent = [...set1, ...poisonRecords];
    expect(await produceToKafka(each(sent), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 1, progressMs: 60_000, log: quiet })).toBe(sent.length);
    const ingest = startCli(ingestArgs(prefix, await tempHome()), env);
    await waitFor("set 1 in BigQuery bronze", async () => (await bronzeOf(prefix)).ids >= set1.length, 240_000, 1000, ingest);
    await waitFor(
      "the dead letters",
      async () => (await query<{ n: number }>(`SELECT count(*) AS n FROM \`${GCP}.bronze.dead_letters\` WHERE _source LIKE 'kafka:${prefix}%'`))[0]!.n >= 2,
      60_000,
      1000,
      ingest,
    );
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    expect(ingest.output()).toMatch(/msg\/s · lag/);

    const expected = expectedIds(sent);
    const rows = await query<{ message_id: string; topic: string; value: string; offset: number; timestamp: number; date: { value: string }; _ingested_at: unknown; _batch: string }>(
      `SELECT message_id, topic, value, \`offset\`, \`timestamp\`, date, _ingested_at, _batch FROM \`${GCP}.bronze.kafka_multiplex\` WHERE _source LIKE 'kafka:${prefix}%'`,
    );
    const valid = expected.slice(0, set1.length);
    // Offsets and timestamps are INT64s that arrive as bigints: the encoder once wrote every one of them as 0.
    expect(rows.map((r) => `${r.message_id}\t${r.topic}\t${r.value}\t${r.offset}\t${r.timestamp}`).sort()).toEqual(
      valid.map((e) => `${e.id}\t${e.topic}\t${e.value}\t${e.offset}\t${e.timestamp}`).sort(),
    );
    expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.date.value) && r._ingested_at !== null && r._batch.length > 0)).toBe(true);

    const dead = await query<{ source: string; feed: string; reason: string; raw: Buffer }>(
      `SELECT source, feed, reason, raw FROM \`${GCP}.bronze.dead_letters\` WHERE _source LIKE 'kafka:${prefix}%' ORDER BY source`,
    );
    const poisonOffsets = expected.slice(set1.length).map((e) => e.id.split("/")[2]);
    expect(dead.map((d) => d.source)).toEqual(poisonOffsets.map((o) => `${prefix}bpm/0/${o}`).sort());
    expect(dead.map((d) => d.reason)).toEqual([expect.stringContaining("not JSON"), expect.stringMatching(/time/)]);
    expect(dead.map((d) => Buffer.from(d.raw).toString("utf8"))).toEqual(poison);

    const counts = Object.fromEntries(["user_info", "bpm", "workout"].map((t) => [`${prefix}${t}/0`, expected.filter((e) => e.topic === t).length]));
    expect(
      await committedOffsets(
        `${prefix}group`,
        ["user_info", "bpm", "workout"].map((t) => `${prefix}${t}`),
      ),
    ).toEqual(counts);
  });

  it("loses nothing when SIGKILLed while appending: after a restart every message id is there, and repeated ids are the same message", async () => {
    const prefix = uniquePrefix("bq-kill");
    expect(await produceToKafka(each(set1), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 1, progressMs: 60_000, log: quiet })).toBe(set1.length);
    const home = await tempHome();
    // Tiny batches: about fifty flushes of four Storage Write calls each, so the kill lands between (or inside) them.
    const batching = ["--max-batch", "50", "--flush-ms", "50"];
    const first = startCli(ingestArgs(prefix, home, batching), env);
    // The progress line, not a query: the emulator serves one request at a time, so a poll would queue behind the appends.
    await waitFor("the first rows committed", async () => /in lake [1-9]/.test(first.output()), 240_000, 20, first);
    first.child.kill("SIGKILL");
    await first.exited;
    const before = await bronzeOf(prefix);
    expect(before.ids).toBeLessThan(set1.length);

    const second = startCli(ingestArgs(prefix, home, batching), env);
    await waitFor("every message id", async () => (await bronzeOf(prefix)).ids >= set1.length, 300_000, 1000, second);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const after = await bronzeOf(prefix);
    expect(after).toMatchObject({ ids: set1.length, conflicting: 0 });
    // At-least-once bronze: a crash between BigQuery's commit and Kafka's offset commit replays at most the batches in flight.
    expect(after.rows - after.ids).toBeLessThanOrEqual(3 * 50);
  });

  it("takes Pub/Sub too: every message arrives, identified by its Pub/Sub message id", async () => {
    process.env.PUBSUB_EMULATOR_HOST = PUBSUB_EMULATOR_HOST;
    const prefix = uniquePrefix("bq-pubsub");
    const project = "pulse-tests";
    const sent = set1.filter((r) => r.topic !== "bpm").concat(set1.filter((r) => r.topic === "bpm").slice(0, 300));
    await produceToPubsub(each(sent), { projectId: project, topicPrefix: prefix, subscriptionPrefix: `${prefix}sub-`, rate: 5_000, progressMs: 60_000, log: quiet });
    const args = ["ingest", "--source", "pubsub", "--sink", "bigquery", "--gcp-project", GCP, "--project-id", project, "--topic-prefix", prefix, "--subscription-prefix", `${prefix}sub-`];
    const where = `_source LIKE 'pubsub:${prefix}%'`;
    const ids = async () => (await query<{ n: number }>(`SELECT count(DISTINCT message_id) AS n FROM \`${GCP}.bronze.kafka_multiplex\` WHERE ${where}`))[0]!.n;
    const ingest = startCli([...args, "--home", await tempHome(), "--progress-interval", "1"], env);
    await waitFor("every Pub/Sub message", async () => (await ids()) >= sent.length, 180_000, 1000, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    const rows = await query<{ topic: string; value: string; partition: number | null }>(`SELECT topic, value, \`partition\` FROM \`${GCP}.bronze.kafka_multiplex\` WHERE ${where}`);
    expect(rows.every((r) => r.partition === null)).toBe(true);
    expect([...new Set(rows.map((r) => `${r.topic}\t${r.value}`))].sort()).toEqual(sent.map((r) => `${r.topic}\t${r.value}`).sort());
    expect(await ids()).toBe(sent.length);
  });

  it("refuses to start, in one line, when the bronze tables are not there", async () => {
    const prefix = uniquePrefix("bq-missing");
    const ingest = startCli([...ingestArgs(prefix, await tempHome()), "--bigquery-dataset", "not_initialised"], env);
    expect(await ingest.exited).toBe(2);
    expect(ingest.output()).toContain(`pulse: ingest --sink bigquery: ${GCP}.not_initialised.kafka_multiplex does not exist; create it with \`pulse bigquery init --gcp-project ${GCP}\``);
    expect(ingest.output()).not.toMatch(/\n\s+at /);
  });
});
