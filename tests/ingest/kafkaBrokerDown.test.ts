import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startKafkaBroker } from "../../services/kafka.js";
import { waitForKafka } from "../../services/services.js";
import { stopService } from "../../services/process.js";
import { kafkaClient, lakeQuery, multiplexCount, startCli, tempHome, uniquePrefix, waitFor, type CliProcess } from "./helpers.js";

const quiet = () => undefined;
/**
 * A port of 21000-21798 (even, its controller on the next): kafkaFaults.test.ts uses 19092-19890. Never one this file
 * chose before: the first test's broker runs until afterAll, and a later test that drew its port (1 in 400) found a
 * broker there instead of none.
 */
const chosenPorts = new Set<number>();
function freePort(): number {
  let port: number;
  do port = 21000 + Math.floor(Math.random() * 400) * 2;
  while (chosenPorts.has(port));
  chosenPorts.add(port);
  return port;
}

function ingest(home: string, brokers: string, prefix: string): CliProcess {
  return startCli(["ingest", "--source", "kafka", "--brokers", brokers, "--topic-prefix", prefix, "--topics", "bpm", "--group", `${prefix}group`, "--home", home, "--flush-ms", "200"]);
}

const retries = (output: string) => output.match(/unreachable \(.*\); retrying in \d+ s \(attempt \d+/g)?.length ?? 0;
/** Node prints a stack frame as `    at name (file:line:col)`. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

const privateBrokers: string[] = [];
afterAll(async () => {
  for (const pidFile of privateBrokers) await stopService(pidFile, 20_000);
});

describe("kafka ingest started with the broker down", { timeout: 300_000 }, () => {
  it("retries with one line per attempt, then ingests once the broker is up", async () => {
    const port = freePort();
    const brokers = `127.0.0.1:${port}`;
    const home = await tempHome();
    const prefix = uniquePrefix("down");
    const service = ingest(home, brokers, prefix);
    // Longer than kafkajs's own retries (about 44 s), after which the service used to exit.
    await waitFor("retries for 50 s", async () => /attempt \d+, (5\d|[6-9]\d) s so far/.test(service.output()), 120_000, 500, service);
    expect(retries(service.output())).toBeGreaterThanOrEqual(5);

    const dir = await mkdtemp(path.join(tmpdir(), "pulse-broker-"));
    const pidFile = path.join(dir, "kafka.pid");
    privateBrokers.push(pidFile);
    await startKafkaBroker({ port, controllerPort: port + 1, dir, pidFile, heap: "512m", log: quiet });
    await waitForKafka(brokers, 60_000);
    const producer = kafkaClient(brokers).producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}bpm`, messages: Array.from({ length: 100 }, (_, i) => ({ value: JSON.stringify({ device_id: 1, time: 1_700_000_000 + i, heartrate: 70 }) })) });
    await producer.disconnect();

    // A producer on a loaded machine may send a message twice (a new offset): count the distinct payloads.
    const payloads = async () => ((await multiplexCount(home)) === 0 ? 0 : Number((await lakeQuery(home, "SELECT count(DISTINCT value) AS n FROM {kafka_multiplex}"))[0]?.n));
    await waitFor("the messages in the lake", async () => (await payloads()) === 100, 120_000, 500, service);
    expect(service.output()).toMatch(/connected to 127\.0\.0\.1:\d+ after \d+ s/);
    service.child.kill("SIGTERM");
    expect(await service.exited, service.output()).toBe(0);
    expect(service.output()).not.toMatch(STACK_FRAME);
  });

  it("stops at once with exit 0 on SIGTERM while waiting for the broker", async () => {
    const service = ingest(await tempHome(), `127.0.0.1:${freePort()}`, uniquePrefix("down-stop"));
    await waitFor("a retry", async () => retries(service.output()) >= 2, 60_000, 250, service);
    const signalledAt = Date.now();
    service.child.kill("SIGTERM");
    expect(await service.exited, service.output()).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(service.output()).not.toMatch(STACK_FRAME);
  });

  it("produce gives up with one clear line and exit 69, no stack trace", async () => {
    const port = freePort();
    const produce = startCli(["produce", "--to", "kafka", "--synthetic", "--users", "2", "--days", "1", "--seed", "1", "--brokers", `127.0.0.1:${port}`, "--home", await tempHome()]);
    expect(await produce.exited, produce.output()).toBe(69);
    expect(produce.output()).toMatch(new RegExp(`^pulse: produce: Kafka is unreachable at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`, "m"));
    expect(produce.output()).not.toMatch(STACK_FRAME);
  });
});
