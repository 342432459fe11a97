import { expect, it } from "vitest";
import { runProject } from "../../runner/runProject.js";
import { ingestAndRun, landText, PROJECT, query, tempHome, VARS } from "./pipelineHarness.js";

// silver.heart_rate's uniqueness and value-range assertions check only the rows of the table's latest write (its
// largest _merged_since). They must still fail on a bad row in that write.

function bpmFile(firstOffset: number, times: number[], heartrate = (i: number) => 80 + i): string {
  return times
    .map((time, i) => {
      const value = JSON.stringify({ device_id: 7, time, heartrate: heartrate(i) });
      return JSON.stringify({ key: "7", value, topic: "bpm", partition: 0, offset: firstOffset + i, timestamp: time });
    })
    .join("\n");
}

async function runAssertion(home: string, name: string): Promise<string> {
  const { summary } = await runProject({ projectDir: PROJECT, home, selection: { actions: [name] }, vars: VARS, fullRefresh: false, dryRun: false, command: "test" });
  const [result] = summary.results;
  return result!.status;
}

it("the heart_rate uniqueness assertion fails on a duplicate key in the latest write, full or incremental", async () => {
  const home = tempHome();
  landText(home, "kafka_multiplex", "a.json", bpmFile(0, [1678451100, 1678451101, 1678451102]));
  await ingestAndRun(home);
  const [full] = await query(home, "select count(distinct _merged_since) as writes, count(*) as n from silver.heart_rate");
  expect(full).toEqual({ writes: 1, n: 3 });

  landText(home, "kafka_multiplex", "b.json", bpmFile(3, [1678451103, 1678451104]));
  await ingestAndRun(home);
  const latest = "select max(_merged_since) from silver.heart_rate";
  expect(await query(home, `select count(*) as n from silver.heart_rate where _merged_since = (${latest})`)).toEqual([{ n: 2 }]);
  expect(await runAssertion(home, "assertions.heart_rate_unique_key")).toBe("success");

  // A second row for a key the latest run wrote (as a merge of a batch with a repeated new key would leave).
  await query(home, `insert into silver.heart_rate select * from silver.heart_rate where _merged_since = (${latest}) limit 1`);
  expect(await runAssertion(home, "assertions.heart_rate_unique_key")).toBe("failed");

  // After a full rebuild every row is in the latest write, so a duplicate anywhere fails the check.
  await ingestAndRun(home, { fullRefresh: true });
  await query(home, `insert into silver.heart_rate select * from silver.heart_rate order by time limit 1`);
  expect(await runAssertion(home, "assertions.heart_rate_unique_key")).toBe("failed");
});

it("the heart rate range assertion fails on an implausible reading in the latest write, full or incremental", async () => {
  const home = tempHome();
  landText(home, "kafka_multiplex", "a.json", bpmFile(0, [1678451100, 1678451101]));
  await ingestAndRun(home);
  expect(await runAssertion(home, "assertions.heart_rate_valid_range")).toBe("success");

  // An incremental run that merges a reading of 300 bpm fails the check; one of 250 (the bound) passes.
  landText(home, "kafka_multiplex", "b.json", bpmFile(2, [1678451102, 1678451103], (i) => (i === 0 ? 250 : 300)));
  await ingestAndRun(home, { tolerate: /heart_rate_valid_range/ });
  expect(await runAssertion(home, "assertions.heart_rate_valid_range")).toBe("failed");
  expect(await query(home, "select heartrate from silver.heart_rate where heartrate >= 250 order by 1")).toEqual([{ heartrate: 250 }, { heartrate: 300 }]);

  // A full rebuild writes every row, the implausible one included.
  await ingestAndRun(home, { fullRefresh: true, tolerate: /heart_rate_valid_range/ });
  expect(await runAssertion(home, "assertions.heart_rate_valid_range")).toBe("failed");
});
