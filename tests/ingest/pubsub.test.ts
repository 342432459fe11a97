import { describe, expect, it } from "vitest";
import { ensureSubscription, openPubSub } from "../../lib/pubsubClient.js";
import { produceToPubsub } from "../../produce/toPubsub.js";
import { replayRecords } from "../../produce/replay.js";
import type { ProducerRecord } from "../../produce/producerRecord.js";
import { PUBSUB_EMULATOR_HOST, REFERENCE, SET1, SET1_TOTAL, inBackground, lakeQuery, multiplexCount, startCli, tempHome, topicCounts, uniquePrefix, waitFor } from "./helpers.js";
import { projectWithEnvironments } from "./environmentProject.js";

const PROJECT = "pulse-tests";
const quiet = () => undefined;
process.env.PUBSUB_EMULATOR_HOST = PUBSUB_EMULATOR_HOST;

function ingestArgs(home: string, prefix: string, extra: string[] = []): string[] {
  return ["ingest", "--source", "pubsub", "--project-id", PROJECT, "--topic-prefix", prefix, "--subscription-prefix", `${prefix}sub-`, "--home", home, "--progress-interval", "1", ...extra];
}

function produce(records: AsyncIterable<ProducerRecord>, prefix: string, rate: number): Promise<number> {
  return produceToPubsub(records, { projectId: PROJECT, topicPrefix: prefix, subscriptionPrefix: `${prefix}sub-`, rate, progressMs: 60_000, log: quiet });
}

async function* heartRates(n: number): AsyncGenerator<ProducerRecord> {
  for (let i = 0; i < n; i++) {
    yield { topic: "bpm", key: "7", value: JSON.stringify({ device_id: 7, time: 1678410000 + i, heartrate: 70 }), timestamp: (1678410000 + i) * 1000 };
  }
}

describe("pulse ingest --source pubsub (emulator)", { timeout: 300_000 }, () => {
  it("ingests reference set 1 exactly once with Pub/Sub message ids", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("ps-e2e");
    const ingest = startCli(ingestArgs(home, prefix));
    await waitFor("subscriptions", async () => ingest.output().includes(`${prefix}sub-workout`), 60_000, 200, ingest);
    // The emulator streams about 9,000 msg/s and slows down as its backlog grows: publish at a pace it keeps up with.
    expect(await produce(replayRecords(REFERENCE, 1), prefix, 7000)).toBe(SET1_TOTAL);
    // Pub/Sub is at-least-once into bronze: a message whose ack missed its deadline (a loaded machine) comes again
    // with the same message id, which silver dedupes on. So wait for every id, not for a row count.
    await waitFor("set 1 in bronze", async () => Number((await lakeQuery(home, "SELECT count(DISTINCT message_id) AS n FROM {kafka_multiplex}"))[0]?.n) >= SET1_TOTAL, 180_000, 500, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);

    const counts = await topicCounts(home, "message_id");
    expect(Object.fromEntries(Object.entries(counts).map(([topic, c]) => [topic, c.distinct]))).toEqual(SET1);
    // Any extra row is a redelivery: the same id with the same payload.
    const [dupes] = await lakeQuery(home, "SELECT count(*) AS n FROM (SELECT message_id FROM {kafka_multiplex} GROUP BY message_id HAVING count(DISTINCT value) > 1)");
    expect(Number(dupes!.n)).toBe(0);
    const [sample] = await lakeQuery(home, `SELECT * FROM {kafka_multiplex} WHERE topic = 'workout' ORDER BY "timestamp" LIMIT 1`);
    expect(sample).toMatchObject({ _source: `pubsub:${prefix}sub-workout`, partition: null, offset: null, key: "12474", timestamp: 1678521900_000 });
    expect(String(sample!.message_id)).toMatch(/^\d+$/);
  });

  it("redelivers what was not acked when SIGKILLed: every message id in bronze, duplicates only by message id", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("ps-kill");
    const args = ingestArgs(home, prefix, ["--flush-ms", "300"]);
    const victim = startCli(args);
    await waitFor("subscriptions", async () => victim.output().includes(`${prefix}sub-workout`), 60_000, 200, victim);
    const producing = inBackground(produce(heartRates(20_000), prefix, 5000), "publishing");
    await waitFor(
      "some rows",
      async () => {
        producing.check();
        return (await multiplexCount(home)) >= 4000;
      },
      60_000,
      100,
      victim,
    );
    victim.child.kill("SIGKILL");
    await producing.promise;
    const again = startCli(args);
    await waitFor("every message id", async () => Number((await lakeQuery(home, "SELECT count(DISTINCT message_id) AS n FROM {kafka_multiplex}"))[0]?.n) >= 20_000, 120_000, 500, again);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    const [row] = await lakeQuery(home, "SELECT count(*) AS n, count(DISTINCT message_id) AS ids, count(DISTINCT value) AS payloads FROM {kafka_multiplex}");
    expect(row!.ids).toBe(20_000);
    expect(row!.payloads).toBe(20_000);
    expect(Number(row!.n)).toBeGreaterThanOrEqual(20_000);
  });

  it("gives each environment, with no --subscription-prefix, subscriptions of its own: both get every message", async () => {
    const home = await tempHome();
    const { project, envs } = await projectWithEnvironments(2);
    const prefix = uniquePrefix("ps-envs");
    // Subscribers of one subscription split its messages: sharing one, each environment's bronze would miss the rest.
    const services = envs.map((env) =>
      startCli(["ingest", "--source", "pubsub", "--project-id", PROJECT, "--topic-prefix", prefix, "--project", project, "--env", env, "--home", home, "--progress-interval", "1"]),
    );
    try {
      for (const [i, env] of envs.entries()) await waitFor(`${env}'s subscriptions`, async () => services[i]!.output().includes(`created subscription pulse-${env}-workout`), 60_000, 200, services[i]);
      const sent = await produceToPubsub(heartRates(2000), { projectId: PROJECT, topicPrefix: prefix, subscriptionPrefix: `pulse-${envs[0]}-`, rate: 5000, progressMs: 60_000, log: quiet });
      expect(sent).toBe(2000);
      const distinctIds = async (env: string) => Number((await lakeQuery(home, "SELECT count(DISTINCT message_id) AS n FROM {kafka_multiplex}", env))[0]?.n);
      for (const [i, env] of envs.entries()) await waitFor(`every message in ${env}'s bronze`, async () => (await distinctIds(env)) >= 2000, 120_000, 500, services[i]);
      for (const env of envs) expect(await distinctIds(env)).toBe(2000);
    } finally {
      for (const service of services) service.child.kill("SIGTERM");
    }
    expect(await Promise.all(services.map((s) => s.exited))).toEqual([0, 0]);
  });

  it("refuses, in one line and exit 2, a subscription of its name that reads another topic, and a missing emulator", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("ps-other");
    const pubsub = await openPubSub(PROJECT);
    try {
      await ensureSubscription(pubsub, `${prefix}sub-bpm`, `${prefix}elsewhere-bpm`);
    } finally {
      await pubsub.close();
    }
    const refused = startCli(ingestArgs(home, prefix));
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain(`pulse: Pub/Sub subscription '${prefix}sub-bpm' reads topic '${prefix}elsewhere-bpm', not '${prefix}bpm'`);
    expect(refused.output()).not.toMatch(/internal error|\n\s+at /);

    // Failures inside the ingest worker keep their one-line form across the thread boundary.
    const offline = startCli(ingestArgs(home, prefix), { PUBSUB_EMULATOR_HOST: "", GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/credentials.json" });
    expect(await offline.exited).toBe(2);
    expect(offline.output()).toContain("pulse: Pub/Sub: PUBSUB_EMULATOR_HOST is not set and no Google credentials were found");
    expect(offline.output()).not.toMatch(/internal error|\n\s+at /);
  });
});
