import { describe, expect, it } from "vitest";
import { runMainJob } from "../../jobs/mainJob.js";
import { PROJECT, query, tempHome } from "./pipelineHarness.js";

describe("the main job (npm start)", () => {
  it("lands, ingests and runs a synthetic fleet, prints the gold summaries, and a second run adds the next days incrementally", async () => {
    const home = tempHome();
    const lines: string[] = [];
    const options = { projectDir: PROJECT, home, users: 8, days: 2, seed: 5, log: (line: string) => lines.push(line) };
    expect(await runMainJob(options)).toBe(0);
    const output = lines.join("\n");
    expect(output).toContain("gold.workout_bpm_summary: heart rate per completed workout session");
    expect(output).toContain("gold.gym_summary: workouts matched to gym visits");
    expect(output).toMatch(/^gold +gym_summary \d+, workout_bpm_summary \d+$/m);
    const sessions = async () => Number((await query(home, "select count(*) as n from gold.workout_bpm_summary"))[0]!.n);
    const first = await sessions();
    expect(first).toBeGreaterThan(0);

    expect(await runMainJob(options)).toBe(0);
    expect(lines.join("\n")).toMatch(/2023-03-12/);
    const [latest] = await query(home, "select mode from pulse_meta.action_results join pulse_meta.runs using (run_id) where action = 'pulse.silver.heart_rate' order by started_at desc limit 1");
    expect(latest!.mode).toBe("incremental");
    // The next days bring new sessions; none of the first delivery's is lost or merged into them.
    expect(await sessions()).toBeGreaterThan(first);
  });
});
