import { expect, it } from "vitest";
import { ingestAndRun, landText, query, snapshot, tempHome } from "./pipelineHarness.js";
import { profile, reading, REGISTRATIONS_HEADER, T0, workout } from "./wearableEvents.js";

// gold.workout_bpm_summary's incremental paths that a plain new delivery does not take: a summarized session that
// silver.workout_bpm no longer has rows for is dropped (looked for only among sessions whose window or wearer
// changed), and a user whose bin changed gets it on their stored rows, statistics kept, without a recomputation.

/** Two sessions (user 1 on device 100, then user 2 on device 200, which ends last so the first is complete). */
function landFirstDelivery(home: string): void {
  landText(home, "registered_users", "u1.csv", `${REGISTRATIONS_HEADER}1,100,aa:01,${T0 - 3600}\n2,200,aa:02,${T0 - 3600}\n`);
  const lines = [
    workout(1, 1, 1, "start", T0),
    workout(2, 1, 1, "stop", T0 + 600),
    workout(3, 2, 2, "start", T0 + 1200),
    workout(4, 2, 2, "stop", T0 + 1800),
    ...[60, 120, 180].map((s, i) => reading(10 + i, 100, T0 + s)),
    ...[1260, 1320].map((s, i) => reading(20 + i, 200, T0 + s)),
    profile(30, 1, T0 - 3600, "Fresno"),
  ];
  landText(home, "kafka_multiplex", "a.json", `${lines.join("\n")}\n`);
}

/** A late registration of user 1, earlier than the first, on a device that sent nothing: it becomes the wearer. */
function landEarlierRegistration(home: string): void {
  landText(home, "registered_users", "u2.csv", `${REGISTRATIONS_HEADER}1,300,aa:03,${T0 - 7200}\n`);
}

it("drops a summarized session whose wearer changed to a device without readings, as a full build does", async () => {
  const home = tempHome();
  landFirstDelivery(home);
  await ingestAndRun(home);
  const sessions = "select user_id, session_id, num_recordings from gold.workout_bpm_summary order by all";
  expect(await query(home, sessions)).toEqual([{ user_id: 1, session_id: 1, num_recordings: 3 }]);

  landEarlierRegistration(home);
  await ingestAndRun(home);
  expect(await query(home, "select count(*) as n from silver.workout_bpm where user_id = 1")).toEqual([{ n: 0 }]);
  expect(await query(home, sessions)).toEqual([]);

  const once = tempHome();
  landFirstDelivery(once);
  landEarlierRegistration(once);
  await ingestAndRun(once);
  expect(await snapshot(home, false)).toEqual(await snapshot(once, false));
});

it("gives a user's new bin to their summarized sessions, statistics unchanged, as a full build does", async () => {
  const home = tempHome();
  landFirstDelivery(home);
  await ingestAndRun(home);
  const summary = "select user_id, session_id, city, min_bpm, avg_bpm, max_bpm, num_recordings from gold.workout_bpm_summary order by all";
  const before = await query(home, summary);
  expect(before).toEqual([{ user_id: 1, session_id: 1, city: "Fresno", min_bpm: 90, avg_bpm: 90, max_bpm: 90, num_recordings: 3 }]);

  const moved = profile(31, 1, T0 + 5000, "Napa");
  landText(home, "kafka_multiplex", "b.json", `${moved}\n`);
  await ingestAndRun(home);
  expect(await query(home, summary)).toEqual([{ ...before[0], city: "Napa" }]);

  const once = tempHome();
  landFirstDelivery(once);
  landText(once, "kafka_multiplex", "b.json", `${moved}\n`);
  await ingestAndRun(once);
  expect(await snapshot(home, false)).toEqual(await snapshot(once, false));
});
