import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { startOfDay } from "../../produce/synthetic/config.js";
import { syntheticToLanding } from "../../produce/synthetic/toLanding.js";
import { Random } from "../../produce/random.js";
import { ingestAndRun, landText, query, runGraph, snapshot, tempHome } from "./pipelineHarness.js";

interface LandedFile {
  feed: string;
  name: string;
  header?: string;
  lines: string[];
}

/** Every file the generator landed in `home`, read back as lines (CSV header kept apart). */
function readLanding(home: string): LandedFile[] {
  const files: LandedFile[] = [];
  for (const feed of ["registered_users", "gym_logins", "kafka_multiplex"]) {
    const dir = path.join(homePaths(home).landing, feed);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const text = fs.readFileSync(path.join(dir, name), "utf8");
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      const csv = name.endsWith(".csv");
      files.push({ feed, name, header: csv ? lines[0] : undefined, lines: csv ? lines.slice(1) : lines });
    }
  }
  return files;
}

describe("incremental runs equal one full run, whatever the batch boundaries", () => {
  it("random splits of a synthetic fleet (late, duplicate and out-of-order records included) give the same silver and gold", async () => {
    const source = tempHome();
    await syntheticToLanding({ home: source, config: { users: 10, days: 2, seed: 11, start: startOfDay("2023-03-10") }, batches: 1, gzip: false });
    const files = readLanding(source);
    expect(files.length).toBe(5);

    // One home gets everything at once.
    const whole = tempHome();
    for (const file of files) landText(whole, file.feed, file.name, [file.header, ...file.lines].filter(Boolean).join("\n") + "\n");
    await ingestAndRun(whole);
    const expected = await snapshot(whole, false);
    expect(expected["gold.workout_bpm_summary"]!.length).toBeGreaterThan(0);
    expect(expected["gold.gym_summary"]!.length).toBeGreaterThan(0);

    // Two more homes get every line in one of three rounds at random, so events arrive out of order.
    for (const seed of [1, 2]) {
      const random = new Random(`split-${seed}`);
      const rounds = files.map((file) => file.lines.map(() => random.int(0, 2)));
      const split = tempHome();
      for (let round = 0; round < 3; round++) {
        files.forEach((file, f) => {
          const lines = file.lines.filter((_, i) => rounds[f]![i] === round);
          if (lines.length > 0) landText(split, file.feed, `r${round}-${file.name}`, [file.header, ...lines].filter(Boolean).join("\n") + "\n");
        });
        // Until the last round, a workout may arrive before its user's registration file.
        await ingestAndRun(split, { tolerate: round < 2 ? /_known_/ : undefined });
      }
      const actual = await snapshot(split, false);
      for (const table of Object.keys(expected)) expect({ table, rows: actual[table] }).toEqual({ table, rows: expected[table] });

      // A run with no new data changes nothing, provenance included.
      const before = await snapshot(split, true);
      await runGraph(split);
      expect(await snapshot(split, true)).toEqual(before);

      // A full refresh over the same bronze gives the same tables too.
      await runGraph(split, { fullRefresh: true });
      expect(await snapshot(split, false)).toEqual(expected);
    }
  });

  it("a user whose newest profile event is a delete is gone, and an older event arriving later never resurrects them", async () => {
    const home = tempHome();
    const event = (user: number, type: string, ts: number, offset: number, city: string) =>
      JSON.stringify({
        key: String(user),
        value: JSON.stringify({
          user_id: user,
          update_type: type,
          timestamp: ts,
          dob: "01/02/1990",
          sex: "F",
          gender: "F",
          first_name: "A",
          last_name: "B",
          address: { street_address: "1 Main", city, state: "CA", zip: 90001 },
        }),
        topic: "user_info",
        partition: 0,
        offset,
        timestamp: ts,
      });
    landText(home, "registered_users", "u.csv", "user_id,device_id,mac_address,registration_timestamp\n1,100,aa:bb,1678451168\n2,200,cc:dd,1678451168\n");
    landText(home, "kafka_multiplex", "a.json", [event(1, "new", 1678451168, 1, "Fresno"), event(2, "new", 1678451168, 2, "Davis"), event(2, "delete", 1678460000, 3, "Davis")].join("\n") + "\n");
    await ingestAndRun(home);
    expect((await query(home, "select user_id, city from silver.user_profile order by user_id")).map((r) => [r.user_id, r.city])).toEqual([[1, "Fresno"]]);

    // Late arrivals: an update older than the delete, and one older than user 1's current row.
    landText(home, "kafka_multiplex", "b.json", [event(2, "update", 1678455000, 4, "Napa"), event(1, "update", 1678400000, 5, "Old Town")].join("\n") + "\n");
    await ingestAndRun(home);
    expect((await query(home, "select user_id, city from silver.user_profile order by user_id")).map((r) => [r.user_id, r.city])).toEqual([[1, "Fresno"]]);

    // A newer update does win.
    landText(home, "kafka_multiplex", "c.json", event(1, "update", 1678470000, 6, "Sacramento") + "\n");
    await ingestAndRun(home);
    expect((await query(home, "select user_id, city from silver.user_profile order by user_id")).map((r) => [r.user_id, r.city])).toEqual([[1, "Sacramento"]]);
  });
});
