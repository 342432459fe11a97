import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { openLocalWarehouse } from "../../runner/localWarehouse.js";
import { ingestAndRun, landText, PROJECT, query, tempHome, VARS } from "./pipelineHarness.js";
import { landFirstDelivery, reading, T0 } from "./wearableEvents.js";

// A warehouse built before gold.workout_bpm_summary's rules changed (semantics version 1: the watermark over every
// completed workout, users without a profile kept with null attributes) is rebuilt by the next plain `pulse run`,
// which says why; the run after it merges again.

const summaryAction = "pulse.gold.workout_bpm_summary";

/** `pulse run` on the environment folder `home` (`<PULSE_HOME>/dev`), which the library calls here are given. */
function pulseRun(home: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } {
  const cli = path.join(PROJECT, "dist", "cli", "main.js");
  const vars = Object.entries(VARS)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return spawnSync(process.execPath, [cli, "run", "--vars", vars, ...flags, "--home", path.dirname(home), "--env", path.basename(home)], { cwd: PROJECT, encoding: "utf8" });
}

async function lastMode(home: string, action = summaryAction): Promise<unknown> {
  const [row] = await query(home, `select mode from pulse_meta.action_results join pulse_meta.runs using (run_id) where action = '${action}' order by started_at desc limit 1`);
  return row?.mode;
}

it("rebuilds a summary built under the old rules on the next run, says why, and merges again after", async () => {
  const home = path.join(tempHome(), "dev");
  landFirstDelivery(home);
  await ingestAndRun(home);
  const rows = "select user_id, session_id, city from gold.workout_bpm_summary order by all";
  expect(await query(home, rows)).toEqual([{ user_id: 1, session_id: 1, city: "Fresno" }]);

  // What the previous release left: no recorded versions, and a row for user 2, who has no profile.
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  try {
    await warehouse.execute("drop table pulse_meta.table_semantics");
    await warehouse.execute("insert into gold.workout_bpm_summary select 2, 1, 2, null, null, null, null, 90, 90, 90, 1, max(_ingested_at) from gold.workout_bpm_summary");
  } finally {
    await warehouse.close();
  }

  const why = "rebuilt in full: its stored rows were built under semantics version 1 and the definition now declares version 2 (label pulse_semantics)";
  const planned = pulseRun(home, "--dry-run", "--actions", "gold.workout_bpm_summary");
  expect(planned.status).toBe(0);
  expect(planned.stdout).toContain(`-- ${summaryAction} [incremental, full-refresh]\n-- ${why}`);

  const upgraded = pulseRun(home);
  expect(upgraded.status).toBe(0);
  expect(upgraded.stderr).toContain(`${summaryAction}: ${why}`);
  expect(await lastMode(home)).toBe("full-refresh");
  expect(await query(home, rows)).toEqual([{ user_id: 1, session_id: 1, city: "Fresno" }]);
  expect(await query(home, `select semantics from pulse_meta.table_semantics where action = '${summaryAction}'`)).toEqual([{ semantics: "2" }]);

  const next = pulseRun(home);
  expect(next.status).toBe(0);
  expect(next.stderr).not.toContain("rebuilt in full");
  expect(await lastMode(home)).toBe("incremental");
});

it("rebuilds a silver.heart_rate of semantics version 2 (column _replaced_valid) on the next run, then merges its late readings again", async () => {
  const home = path.join(tempHome(), "dev");
  landFirstDelivery(home);
  await ingestAndRun(home);
  const heartRate = "pulse.silver.heart_rate";
  // What version 2 left: its flag column under the old name, recorded as built under version 2.
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  try {
    await warehouse.execute("alter table silver.heart_rate rename column _replaced to _replaced_valid");
    await warehouse.execute(`update pulse_meta.table_semantics set semantics = '2' where action = '${heartRate}'`);
  } finally {
    await warehouse.close();
  }
  const upgraded = pulseRun(home);
  expect(upgraded.status, upgraded.stderr).toBe(0);
  expect(upgraded.stderr).toContain(`${heartRate}: rebuilt in full: its stored rows were built under semantics version 2 and the definition now declares version 3`);
  const columns = "select column_name from duckdb_columns() where schema_name = 'silver' and table_name = 'heart_rate' and column_name like '_replaced%'";
  expect(await query(home, columns)).toEqual([{ column_name: "_replaced" }]);

  landText(home, "kafka_multiplex", "late.json", `${reading(60, 100, T0 + 180, 95)}\n`);
  await ingestAndRun(home);
  expect(await lastMode(home, heartRate)).toBe("incremental");
  expect(await query(home, "select heartrate, _replaced from silver.heart_rate where device_id = 100 and time = to_timestamp(" + (T0 + 180) + ")")).toEqual([{ heartrate: 95, _replaced: true }]);
});
