import path from "node:path";
import { describe, expect, it } from "vitest";
import { produceToKafka } from "../../produce/toKafka.js";
import { produceToPubsub } from "../../produce/toPubsub.js";
import { copyIntoLanding } from "../../produce/landingFile.js";
import { iterationFiles, replayRecords } from "../../produce/replay.js";
import { KAFKA_BROKERS, PUBSUB_EMULATOR_HOST, REFERENCE, startCli, tempHome, uniquePrefix, waitFor, type CliProcess } from "../ingest/helpers.js";
import { AS_OF_DATE, EXPECTED_AFTER_SET_1, EXPECTED_AFTER_SET_2, type ExpectedReference } from "../pipeline/expected-reference.js";
import { referenceDifferences } from "../pipeline/referenceChecks.js";

const quiet = () => undefined;

/** Registrations and gym logins come as files, beside the stream: land an iteration's CSV files. */
async function landFiles(home: string, iteration: number): Promise<void> {
  for (const file of await iterationFiles(REFERENCE, iteration)) {
    // The CLI (`pulse stream --home home`) keeps the default environment in home/dev.
    if (file.landingFeed !== "kafka_multiplex") await copyIntoLanding(path.join(home, "dev"), file.landingFeed, file.path, file.name);
  }
}
process.env.PUBSUB_EMULATOR_HOST = PUBSUB_EMULATOR_HOST;

/** Polls the warehouse until bronze, silver and gold match the expected reference results. */
function untilReference(home: string, expected: ExpectedReference, stream: CliProcess, options: { atLeastOnce?: boolean } = {}): Promise<true> {
  return waitFor(
    "the reference results",
    async () => {
      // Thrown, so a timeout reports the last difference seen.
      const difference = referenceDifferences(home, expected, options);
      if (difference) throw new Error(difference);
      return true as const;
    },
    300_000,
    3000,
    stream,
  );
}

async function stopCleanly(stream: CliProcess): Promise<void> {
  stream.child.kill("SIGINT");
  expect(await stream.exited).toBe(0);
  expect(stream.output()).toMatch(/stopped after \d+ run\(s\), 0 failed/);
}

// The reference's stream test: continuous mode running, set 1 produced and validated through gold, then set 2.
describe("pulse stream: continuous ingest and incremental runs", () => {
  it("over Kafka: reference set 1 then set 2 reach bronze, silver and gold exactly", { timeout: 600_000 }, async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("stream-kafka");
    const stream = startCli([
      "stream",
      "--source",
      "kafka",
      "--brokers",
      KAFKA_BROKERS,
      "--topic-prefix",
      prefix,
      "--group",
      `${prefix}group`,
      "--interval",
      "1s",
      "--vars",
      `as_of_date=${AS_OF_DATE}`,
      "--home",
      home,
    ]);
    const send = (iteration: number) => produceToKafka(replayRecords(REFERENCE, iteration), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 1, progressMs: 60_000, log: quiet });
    await landFiles(home, 1);
    await send(1);
    await untilReference(home, EXPECTED_AFTER_SET_1, stream);
    await landFiles(home, 2);
    await send(2);
    await untilReference(home, EXPECTED_AFTER_SET_2, stream);
    expect(stream.output()).toMatch(/run #\d+ \| ok/);
    await stopCleanly(stream);
  });

  it("over Pub/Sub (emulator): reference set 1 then set 2 reach bronze, silver and gold exactly", { timeout: 600_000 }, async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("stream-ps");
    const stream = startCli([
      "stream",
      "--source",
      "pubsub",
      "--project-id",
      "pulse-tests",
      "--topic-prefix",
      prefix,
      "--subscription-prefix",
      `${prefix}sub-`,
      "--interval",
      "5s",
      "--vars",
      `as_of_date=${AS_OF_DATE}`,
      "--home",
      home,
    ]);
    await waitFor("subscriptions", async () => stream.output().includes(`${prefix}sub-workout`), 60_000, 200, stream);
    // The emulator keeps up with about 9,000 msg/s; publish below that.
    const send = (iteration: number) =>
      produceToPubsub(replayRecords(REFERENCE, iteration), { projectId: "pulse-tests", topicPrefix: prefix, subscriptionPrefix: `${prefix}sub-`, rate: 7000, progressMs: 60_000, log: quiet });
    await landFiles(home, 1);
    await send(1);
    await untilReference(home, EXPECTED_AFTER_SET_1, stream, { atLeastOnce: true });
    await landFiles(home, 2);
    await send(2);
    await untilReference(home, EXPECTED_AFTER_SET_2, stream, { atLeastOnce: true });
    await stopCleanly(stream);
  });
});
