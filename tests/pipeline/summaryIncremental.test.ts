import { expect, it } from "vitest";
import { ingestAndRun, landText, query, snapshot, tempHome } from "./pipelineHarness.js";
import { landFirstDelivery, profile, reading, REGISTRATIONS_HEADER, T0, workout } from "./wearableEvents.js";

// gold.workout_bpm_summary's incremental paths that a plain new delivery does not take: a summarized session that
// silver.workout_bpm no longer has rows for is dropped (looked for only among sessions whose window or wearer
// changed), and a user whose bin changed gets it on their stored rows, statistics kept, without a recomputation.

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

// The join to silver.user_bins is inner, maintained incrementally; the completion watermark is measured over the
// sessions that have readings. Each case ends by comparing with one full build over the same data.

/** Lands `deliveries` in turn into one home with a run after each, and all at once into another; returns the first. */
async function deliverInTurnAndAtOnce(deliveries: ((home: string) => void)[], check: (home: string, step: number) => Promise<void>): Promise<void> {
  const home = tempHome();
  for (const [step, deliver] of deliveries.entries()) {
    deliver(home);
    await ingestAndRun(home);
    await check(home, step);
  }
  const once = tempHome();
  for (const deliver of deliveries) deliver(once);
  await ingestAndRun(once);
  expect(await snapshot(home, false)).toEqual(await snapshot(once, false));
}

const summarized = (home: string) => query(home, "select user_id, session_id, city, num_recordings from gold.workout_bpm_summary order by all");

it("removes a user's sessions when their profile is deleted and brings them back when it is created again", async () => {
  await deliverInTurnAndAtOnce(
    [
      landFirstDelivery,
      (home) => landText(home, "kafka_multiplex", "delete.json", `${profile(40, 1, T0 + 5000, "Fresno", "delete")}\n`),
      (home) => landText(home, "kafka_multiplex", "again.json", `${profile(41, 1, T0 + 6000, "Ukiah")}\n`),
    ],
    async (home, step) => {
      const want = [[{ user_id: 1, session_id: 1, city: "Fresno", num_recordings: 3 }], [], [{ user_id: 1, session_id: 1, city: "Ukiah", num_recordings: 3 }]][step];
      expect(await summarized(home)).toEqual(want);
    },
  );
});

it("summarizes a session whose profile arrives after its readings, once it arrives", async () => {
  await deliverInTurnAndAtOnce(
    [
      landFirstDelivery,
      // user 2's session (readings, complete once a later session with readings ends) has no profile yet
      (home) => landText(home, "kafka_multiplex", "later.json", `${[workout(50, 1, 3, "start", T0 + 2400), workout(51, 1, 3, "stop", T0 + 3000), reading(52, 100, T0 + 2500)].join("\n")}\n`),
      (home) => landText(home, "kafka_multiplex", "profile.json", `${profile(53, 2, T0 + 100, "Davis")}\n`),
    ],
    async (home, step) => {
      const user2 = { user_id: 2, session_id: 2, city: "Davis", num_recordings: 2 };
      const want = [
        [{ user_id: 1, session_id: 1, city: "Fresno", num_recordings: 3 }],
        [{ user_id: 1, session_id: 1, city: "Fresno", num_recordings: 3 }],
        [{ user_id: 1, session_id: 1, city: "Fresno", num_recordings: 3 }, user2],
      ][step];
      expect(await summarized(home)).toEqual(want);
    },
  );
});

it("moves the completion watermark only with sessions that have readings, forward and back", async () => {
  const onlyUser1 = (home: string) => {
    landText(home, "registered_users", "u1.csv", `${REGISTRATIONS_HEADER}1,100,aa:01,${T0 - 3600}\n2,200,aa:02,${T0 - 3600}\n`);
    const lines = [workout(1, 1, 1, "start", T0), workout(2, 1, 1, "stop", T0 + 600), ...[60, 120].map((s, i) => reading(10 + i, 100, T0 + s)), profile(30, 1, T0 - 3600, "Fresno")];
    landText(home, "kafka_multiplex", "a.json", `${lines.join("\n")}\n`);
  };
  // A later session without readings: the newest workout end moves, the watermark does not.
  const silentSession = (home: string) =>
    landText(home, "kafka_multiplex", "b.json", `${[workout(3, 2, 2, "start", T0 + 1200), workout(4, 2, 2, "stop", T0 + 1800), profile(31, 2, T0 - 3600, "Davis")].join("\n")}\n`);
  // Its readings arrive: the watermark passes user 1's session.
  const itsReadings = (home: string) => landText(home, "kafka_multiplex", "c.json", `${reading(20, 200, T0 + 1300)}\n`);
  // User 2's registration is moved to a device that sent nothing: the session loses its readings, the watermark
  // falls back before user 1's end, and user 1's row goes, as in a full build.
  const otherDevice = (home: string) => landText(home, "registered_users", "u2.csv", `${REGISTRATIONS_HEADER}2,300,aa:03,${T0 - 7200}\n`);
  await deliverInTurnAndAtOnce([onlyUser1, silentSession, itsReadings, otherDevice], async (home, step) => {
    const want = [[], [], [{ user_id: 1, session_id: 1, city: "Fresno", num_recordings: 2 }], []][step];
    expect(await summarized(home)).toEqual(want);
  });
});

it("adds late readings to a summarized session's stored statistics, and recomputes it when a late reading replaces one", async () => {
  const stats = (home: string) => query(home, "select session_id, min_bpm, avg_bpm, max_bpm, num_recordings from gold.workout_bpm_summary where user_id = 1");
  const replaced = (home: string) => query(home, "select epoch(time) - " + T0 + " as second, _replaced_row from silver.workout_bpm where user_id = 1 and _replaced_row order by all");
  // On DuckDB silver.heart_rate and silver.workout_bpm append their batch and delete the rows it replaced themselves
  // (includes/dialect.js mergeKey): one row per key after every run, valid or not.
  const repeatedKeys = (home: string) =>
    query(
      home,
      `select 'heart_rate' as t, count(*) - count(distinct (device_id, time)) as n from silver.heart_rate
       union all select 'workout_bpm', count(*) - count(distinct (user_id, workout_id, session_id, time)) from silver.workout_bpm order by t`,
    );
  await deliverInTurnAndAtOnce(
    [
      landFirstDelivery,
      // two new readings in the summarized session: combined with its stored statistics, a new minimum among them;
      // and an invalid reading, which has no workout_bpm row
      (home) => landText(home, "kafka_multiplex", "late.json", `${[reading(60, 100, T0 + 240, 120), reading(61, 100, T0 + 300, 71.5), reading(63, 100, T0 + 360, 0)].join("\n")}\n`),
      // the minimum is replaced by a higher duplicate: the stored minimum is no longer known, so the session is
      // recomputed; the invalid reading is replaced by a valid one, which gains its row
      (home) => landText(home, "kafka_multiplex", "dup.json", `${[reading(62, 100, T0 + 300, 95), reading(64, 100, T0 + 360, 80)].join("\n")}\n`),
    ],
    async (home, step) => {
      const want = [
        { session_id: 1, min_bpm: 90, avg_bpm: 90, max_bpm: 90, num_recordings: 3 },
        { session_id: 1, min_bpm: 71.5, avg_bpm: 92.3, max_bpm: 120, num_recordings: 5 },
        { session_id: 1, min_bpm: 80, avg_bpm: ((90 + 90 + 90 + 120 + 95 + 80) * 1e6) / 6 / 1e6, max_bpm: 120, num_recordings: 6 },
      ][step];
      expect(await stats(home)).toEqual([want]);
      expect(await replaced(home)).toEqual(
        step === 2
          ? [
              { second: 300, _replaced_row: true },
              { second: 360, _replaced_row: true },
            ]
          : [],
      );
      expect(await repeatedKeys(home)).toEqual([
        { t: "heart_rate", n: 0 },
        { t: "workout_bpm", n: 0 },
      ]);
    },
  );
});
