import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { homePaths } from "../../lib/home.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { failureDetails } from "../../runner/execute/report.js";
import { openLocalWarehouse } from "../../runner/localWarehouse.js";
import { runProject } from "../../runner/runProject.js";

/** The repository's own Dataform project: the pipeline under test. */
export const PROJECT = path.resolve(import.meta.dirname, "../..");
export { REFERENCE } from "../referenceData.js";
/** Age bins depend on the day they are computed; tests pin it. */
export const VARS = { as_of_date: "2024-01-01" };

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempHome(prefix = "pulse-pipeline-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

interface RunOptions {
  fullRefresh?: boolean;
  /** Assertions allowed to fail on this run, e.g. referential checks while a user's registration has not arrived yet. */
  tolerate?: RegExp;
}

/** landing → bronze, then the whole graph; throws with the failures if anything (not tolerated) failed. */
export async function ingestAndRun(home: string, options: RunOptions = {}): Promise<void> {
  await loadLandingOnce(home);
  await runGraph(home, options);
}

export async function runGraph(home: string, options: RunOptions = {}): Promise<void> {
  const { summary } = await runProject({
    projectDir: PROJECT,
    home,
    selection: {},
    vars: VARS,
    fullRefresh: options.fullRefresh ?? false,
    dryRun: false,
    command: "test",
  });
  const failures = summary.results.filter((r) => r.status === "failed" && !(r.type === "assertion" && options.tolerate?.test(r.name)));
  if (failures.length > 0) throw new Error(`run failed:\n${failureDetails(failures).join("\n")}`);
}

export async function query(home: string, sql: string): Promise<Record<string, unknown>[]> {
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

export const SILVER_AND_GOLD = [
  "silver.users",
  "silver.gym_logs",
  "silver.user_profile",
  "silver.workouts",
  "silver.heart_rate",
  "silver.completed_workouts",
  "silver.workout_bpm",
  "silver.user_bins",
  "silver.date_lookup",
  "gold.workout_bpm_summary",
  "gold.gym_summary",
];

/**
 * Every row of every silver and gold table, sorted, as text. With `withProvenance` false, columns whose
 * name starts with `_` (load times, batch ids) are left out: they record when data arrived, not what it says.
 */
export async function snapshot(home: string, withProvenance: boolean): Promise<Record<string, string[]>> {
  const warehouse = await openLocalWarehouse({ home, connections: 1 });
  try {
    const result: Record<string, string[]> = {};
    for (const table of SILVER_AND_GOLD) {
      const [schema, name] = table.split(".");
      const columns = (await warehouse.query(`select column_name from information_schema.columns where table_schema = '${schema}' and table_name = '${name}' order by ordinal_position`))
        .map((r) => String(r.column_name))
        .filter((c) => withProvenance || !c.startsWith("_"));
      const list = columns.map((c) => `"${c}"`).join(", ");
      const rows = await warehouse.query(`select ${list} from ${table} order by all`);
      result[table] = rows.map((r) => JSON.stringify(columns.map((c) => r[c])));
    }
    return result;
  } finally {
    await warehouse.close();
  }
}

/** Writes text into a landing feed folder the way producers do: complete files only (rename into place). */
export function landText(home: string, feed: string, name: string, text: string): void {
  const dir = path.join(homePaths(home).landing, feed);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(homePaths(home).home, `.${name}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, path.join(dir, name));
}
