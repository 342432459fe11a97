import { spawnSync } from "node:child_process";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { AVG_BPM_TOLERANCE, type ExpectedReference } from "./expected-reference.js";
import { PROJECT } from "./pipelineHarness.js";

const CLI = path.join(PROJECT, "dist", "cli", "main.js");

/** The built CLI as a user runs it (`npx pulse ...` from the project root); throws with its output on failure. */
export function pulseCli(home: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", home], { cwd: PROJECT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`pulse ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function rows(home: string, sql: string): Record<string, unknown>[] {
  return JSON.parse(pulseCli(home, "query", "--format", "json", sql)) as Record<string, unknown>[];
}

/**
 * Compares a home's bronze and silver counts and gold rows with the expected reference results (with
 * `atLeastOnce`, bronze.kafka_multiplex counts distinct message ids). Returns
 * a description of the first differences, or undefined when everything matches (callers poll with it).
 */
export function referenceDifferences(home: string, expected: ExpectedReference, options: { atLeastOnce?: boolean } = {}): string | undefined {
  const want: Record<string, number> = {
    ...Object.fromEntries(Object.entries(expected.bronze).map(([t, n]) => [`bronze.${t}`, n])),
    ...Object.fromEntries(Object.entries(expected.silver).map(([t, n]) => [`silver.${t}`, n])),
  };
  // An at-least-once source (Pub/Sub) may deliver a message twice: bronze keeps both, so count distinct messages.
  const count = (t: string) => (options.atLeastOnce && t === "bronze.kafka_multiplex" ? "count(distinct message_id)" : "count(*)");
  const counted = Object.fromEntries(
    rows(
      home,
      Object.keys(want)
        .map((t) => `select '${t}' as t, ${count(t)} as n from ${t}`)
        .join(" union all "),
    ).map((r) => [String(r.t), Number(r.n)]),
  );
  const wrongCounts = Object.keys(want).filter((t) => counted[t] !== want[t]);
  if (wrongCounts.length > 0) return `counts differ: ${wrongCounts.map((t) => `${t} ${counted[t]} (want ${want[t]})`).join(", ")}`;

  const summary = rows(home, "select * exclude (_ingested_at) from gold.workout_bpm_summary order by user_id, workout_id, session_id");
  if (summary.length !== expected.workoutBpmSummary.length) return `gold.workout_bpm_summary has ${summary.length} rows, want ${expected.workoutBpmSummary.length}`;
  for (const [i, want] of expected.workoutBpmSummary.entries()) {
    const got = summary[i]!;
    const { avg_bpm: wantAvg, ...exact } = want;
    const gotExact = Object.fromEntries(Object.keys(exact).map((k) => [k, got[k]]));
    if (!isDeepStrictEqual(gotExact, exact) || Math.abs(Number(got.avg_bpm) - wantAvg) > AVG_BPM_TOLERANCE) {
      return `gold.workout_bpm_summary row ${i}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
    }
  }
  // The view's own order is the contract: no ORDER BY here.
  const gym = rows(home, "select * from gold.gym_summary").map((r) => ({ ...r, date: String(r.date).slice(0, 10) }));
  if (!isDeepStrictEqual(gym, expected.gymSummary)) return `gold.gym_summary: ${JSON.stringify(gym)}, want ${JSON.stringify(expected.gymSummary)}`;
  return undefined;
}
