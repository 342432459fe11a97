import { describe, expect, it } from "vitest";
import { committedOffsets, multiplexCount, sendRaw, startCli, tempHome, uniquePrefix, waitFor } from "./helpers.js";
import { projectWithEnvironments } from "./environmentProject.js";

const PARTITIONS = 3;
const MESSAGES = 3000;

describe("Kafka ingest in two environments of one home", { timeout: 180_000 }, () => {
  it("each environment's service, with no --group, reads every message of the shared topics in a group of its own", async () => {
    const home = await tempHome();
    const { project, envs } = await projectWithEnvironments(2);
    const prefix = uniquePrefix("envs");
    const values = Array.from({ length: MESSAGES }, (_, i) => JSON.stringify({ device_id: i, time: 1678410000, heartrate: 61 }));
    await sendRaw(`${prefix}bpm`, values, PARTITIONS);

    // In one group the two services would split the partitions, and each environment's bronze would miss the rest.
    const services = envs.map((env) =>
      startCli(["ingest", "--source", "kafka", "--topic-prefix", prefix, "--topics", "bpm", "--project", project, "--env", env, "--home", home, "--progress-interval", "1"]),
    );
    try {
      for (const [i, env] of envs.entries()) {
        await waitFor(`every message in ${env}'s bronze`, async () => (await multiplexCount(home, env)) >= MESSAGES, 120_000, 500, services[i]);
      }
    } finally {
      for (const service of services) service.child.kill("SIGTERM");
    }
    expect(await Promise.all(services.map((s) => s.exited))).toEqual([0, 0]);
    for (const env of envs) {
      expect(await multiplexCount(home, env)).toBe(MESSAGES);
      const committed = await committedOffsets(`pulse-ingest-${env}`, [`${prefix}bpm`]);
      expect(Object.values(committed).reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    }
  });
});
