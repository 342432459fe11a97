import { expect, it } from "vitest";
import { runProject } from "../../runner/runProject.js";
import { ingestAndRun, landText, PROJECT, query, tempHome, VARS } from "./pipelineHarness.js";
import { REGISTRATIONS_HEADER, reading, T0, workout } from "./wearableEvents.js";

// The assertions on silver.heart_rate and silver.workout_bpm that check only the rows of the table's latest write
// (its largest _merged_since) must still fail on a bad row in that write.

function bpmFile(firstOffset: number, times: number[], heartrate = (i: number) => 80 + i): string {
  return times.map((time, i) => reading(firstOffset + i, 7, time, heartrate(i))).join("\n");
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
  landText(
    home,
    "kafka_multiplex",
    "b.json",
    bpmFile(2, [1678451102, 1678451103], (i) => (i === 0 ? 250 : 300)),
  );
  await ingestAndRun(home, { tolerate: /heart_rate_valid_range/ });
  expect(await runAssertion(home, "assertions.heart_rate_valid_range")).toBe("failed");
  expect(await query(home, "select heartrate from silver.heart_rate where heartrate >= 250 order by 1")).toEqual([{ heartrate: 250 }, { heartrate: 300 }]);

  // A full rebuild writes every row, the implausible one included.
  await ingestAndRun(home, { fullRefresh: true, tolerate: /heart_rate_valid_range/ });
  expect(await runAssertion(home, "assertions.heart_rate_valid_range")).toBe("failed");
});

it("the workout_bpm row checks fail on a row of the latest write with a reading outside its window or no heart rate", async () => {
  const home = tempHome();
  landText(home, "registered_users", "u.csv", `${REGISTRATIONS_HEADER}1,7,aa:01,${T0 - 3600}\n`);
  const session = [workout(1, 1, 1, "start", T0), workout(2, 1, 1, "stop", T0 + 600), reading(3, 7, T0 + 60), reading(4, 7, T0 + 120)];
  landText(home, "kafka_multiplex", "a.json", `${session.join("\n")}\n`);
  await ingestAndRun(home);
  expect(await runAssertion(home, "assertions.workout_bpm_valid_rows")).toBe("success");
  await query(home, `update silver.workout_bpm set time = end_time + interval 1 second where time = make_timestamp(${(T0 + 60) * 1e6})`);
  expect(await runAssertion(home, "assertions.workout_bpm_valid_rows")).toBe("failed");

  // An incremental run merges a late reading of the session; its row breaking a check fails the assertion.
  landText(home, "kafka_multiplex", "b.json", `${reading(5, 7, T0 + 180)}\n`);
  await ingestAndRun(home);
  const latest = "select max(_merged_since) from silver.workout_bpm";
  expect(await query(home, `select count(*) as n from silver.workout_bpm where _merged_since = (${latest})`)).toEqual([{ n: 1 }]);
  expect(await runAssertion(home, "assertions.workout_bpm_valid_rows")).toBe("success");
  await query(home, `update silver.workout_bpm set heartrate = null where _merged_since = (${latest})`);
  expect(await runAssertion(home, "assertions.workout_bpm_valid_rows")).toBe("failed");
});
