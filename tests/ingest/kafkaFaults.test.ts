import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { produceToKafka } from "../../produce/toKafka.js";
import { replayRecords } from "../../produce/replay.js";
import { startKafkaBroker } from "../../services/kafka.js";
import { waitForKafka } from "../../services/services.js";
import { stopService } from "../../services/process.js";
import { KAFKA_BROKERS, REFERENCE, SET1, committedOffsets, kafkaIngestArgs, lakeQuery, inBackground, multiplexCount, startCli, tempHome, topicCounts, uniquePrefix, waitFor } from "./helpers.js";

const quiet = () => undefined;

function produceSet1(prefix: string, brokers: string, rate?: number): Promise<number> {
  return produceToKafka(replayRecords(REFERENCE, 1), { brokers: [brokers], topicPrefix: prefix, partitions: 3, rate, progressMs: 60_000, log: quiet });
}

/** Every bpm reading of set 1 is in bronze, and no Kafka coordinate is there twice. */
async function expectSet1ExactlyOnce(home: string): Promise<void> {
  const counts = await topicCounts(home, "coordinates");
  for (const [topic, c] of Object.entries(counts)) expect(c.rows, `${topic} rows vs distinct coordinates`).toBe(c.distinct);
  const values = await lakeQuery(home, "SELECT topic, count(DISTINCT value) AS n FROM {kafka_multiplex} GROUP BY topic ORDER BY topic");
  expect(values).toEqual([
    { topic: "bpm", n: SET1.bpm },
    { topic: "user_info", n: SET1.user_info },
    { topic: "workout", n: SET1.workout },
  ]);
}

const privateBrokers: string[] = [];
afterAll(async () => {
  for (const pidFile of privateBrokers) await stopService(pidFile, 20_000);
});

// Each case starts brokers or processes and waits on them with its own bounded waits; the test bound only
// has to exceed their sum on a loaded 2-core machine.
describe("kafka ingest under faults", { timeout: 420_000 }, () => {
  it("loses and duplicates nothing when SIGKILLed mid-stream and restarted, twice", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("sigkill");
    const args = kafkaIngestArgs(home, prefix, ["--max-batch", "5000", "--flush-ms", "100"], KAFKA_BROKERS);
    const producing = inBackground(produceSet1(prefix, KAFKA_BROKERS, 40_000), "producing set 1");
    for (const atLeast of [30_000, 120_000]) {
      const victim = startCli(args);
      await waitFor(
        `${atLeast} rows`,
        async () => {
          producing.check();
          return (await multiplexCount(home)) >= atLeast;
        },
        120_000,
        100,
        victim,
      );
      victim.child.kill("SIGKILL");
      expect(await victim.exited).toBe("SIGKILL");
    }
    await producing.promise;
    const last = startCli(args);
    await waitFor("all of set 1", async () => (await multiplexCount(home)) >= SET1.bpm + SET1.user_info + SET1.workout, 120_000, 250, last);
    last.child.kill("SIGTERM");
    expect(await last.exited).toBe(0);
    await expectSet1ExactlyOnce(home);
  });

  it("resumes without loss when the broker restarts mid-stream", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "pulse-broker-"));
    const port = 19092 + Math.floor(Math.random() * 400) * 2;
    const brokers = `127.0.0.1:${port}`;
    const pidFile = path.join(dir, "kafka.pid");
    privateBrokers.push(pidFile);
    const start = async () => {
      await startKafkaBroker({ port, controllerPort: port + 1, dir, pidFile, heap: "512m", log: quiet });
      await waitForKafka(brokers, 60_000);
    };
    await start();

    const home = await tempHome();
    const prefix = uniquePrefix("restart");
    const producing = inBackground(produceSet1(prefix, brokers, 30_000), "producing set 1");
    const ingest = startCli(kafkaIngestArgs(home, prefix, ["--max-batch", "5000", "--flush-ms", "200"], brokers));
    await waitFor(
      "ingest under way",
      async () => {
        producing.check();
        return (await multiplexCount(home)) >= 40_000;
      },
      120_000,
      100,
      ingest,
    );
    await stopService(pidFile, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await start();
    await producing.promise;
    // The producer may have re-sent a message across the restart (a new offset), so count payloads, not rows.
    const allOfSet1 = async () => Number((await lakeQuery(home, "SELECT count(DISTINCT value) AS n FROM {kafka_multiplex}"))[0]?.n) >= SET1.bpm + SET1.user_info + SET1.workout;
    await waitFor("all of set 1", allOfSet1, 120_000, 500, ingest);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    await expectSet1ExactlyOnce(home);
  });

  it("drains, commits and exits 0 within 10 s on SIGTERM under load", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("drain");
    const group = `${prefix}group`;
    const producing = inBackground(produceSet1(prefix, KAFKA_BROKERS), "producing set 1");
    const ingest = startCli(kafkaIngestArgs(home, prefix, [], KAFKA_BROKERS));
    await waitFor(
      "ingest under load",
      async () => {
        producing.check();
        return (await multiplexCount(home)) >= 20_000;
      },
      120_000,
      100,
      ingest,
    );
    const signalledAt = Date.now();
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    await producing.promise;

    // Everything committed is in the lake, and everything in the lake is committed.
    const lake = await lakeQuery(home, `SELECT _source, "partition", max("offset") AS high, count(*) AS n, count(DISTINCT "offset") AS d FROM {kafka_multiplex} GROUP BY ALL`);
    const committed = await committedOffsets(
      group,
      ["user_info", "bpm", "workout"].map((t) => `${prefix}${t}`),
    );
    for (const row of lake) {
      expect(row.n).toBe(row.d);
      expect(committed[`${String(row._source).slice("kafka:".length)}/${row.partition}`]).toBe(Number(row.high) + 1);
    }
  });
});
