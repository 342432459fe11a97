import { DEFAULT_ENVIRONMENT } from "../environments/defaultEnvironment.js";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { homePaths } from "../lib/home.js";
import { textTable } from "../lib/textTable.js";
import { loadLandingOnce } from "../ingest/landing/loadLanding.js";
import { formatLandingSummary } from "../ingest/landing/landingReport.js";
import { DEFAULT_START, startOfDay } from "../produce/synthetic/config.js";
import { syntheticToLanding } from "../produce/synthetic/toLanding.js";
import type { WarehouseAdapter } from "../runner/adapters/adapter.js";
import { failureDetails, modeNotes, summaryLine } from "../runner/execute/report.js";
import { runFailed } from "../runner/execute/results.js";
import { runProject } from "../runner/runProject.js";

export interface MainJobOptions {
  projectDir: string;
  home: string;
  users: number;
  days: number;
  seed: number;
  log: (line: string) => void;
  /** The `--home` root and `--env` the CLI was given, when `home` is an environment's folder under it (`pulse demo`). */
  cli?: { homeRoot: string; env: string };
}

/** Remembers how many demo days were generated, so each `npm start` lands the next days, like a new delivery. */
const DemoState = z.object({ nextDay: z.number().int().min(0) });

function readDemoState(file: string): z.infer<typeof DemoState> {
  if (!fs.existsSync(file)) return { nextDay: 0 };
  const parsed = DemoState.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : { nextDay: 0 };
}

/**
 * The main job on the embedded default: synthetic fleet data → landing → bronze → silver → gold, then the
 * gold summaries. Each invocation lands the next simulated days, so a second run shows an incremental run.
 */
export async function runMainJob(options: MainJobOptions): Promise<number> {
  const { log } = options;
  const paths = homePaths(options.home);
  fs.mkdirSync(paths.home, { recursive: true });
  const stateFile = path.join(paths.home, "demo-state.json");
  const state = readDemoState(stateFile);
  const start = new Date((startOfDay(DEFAULT_START) + state.nextDay * 86_400) * 1000).toISOString().slice(0, 10);
  const startedAt = performance.now();

  log(`1/4 produce: synthetic fleet of ${options.users} users, ${options.days} day(s) from ${start} (seed ${options.seed}) into ${paths.landing}`);
  const produced = await syntheticToLanding({
    home: options.home,
    config: { users: options.users, days: options.days, seed: options.seed, start: startOfDay(start) },
    batches: 1,
    gzip: false,
  });
  fs.writeFileSync(stateFile, JSON.stringify({ nextDay: state.nextDay + options.days }));
  log(
    `    ${Object.entries(produced.records)
      .map(([feed, n]) => `${feed} ${n.toLocaleString("en-US")}`)
      .join(", ")}`,
  );

  log("2/4 ingest: landing zone → bronze (Parquet lake)");
  const landing = await loadLandingOnce(options.home);
  log(formatLandingSummary(landing).replace(/^/gm, "    "));

  log("3/4 run: Dataform graph bronze → silver → gold on DuckDB");
  let layerCounts = "";
  let summaries = "";
  const { summary } = await runProject({
    projectDir: options.projectDir,
    home: options.home,
    selection: {},
    vars: {},
    fullRefresh: false,
    dryRun: false,
    command: "npm start",
    afterRun: async (warehouse) => {
      layerCounts = await layerRowCounts(warehouse);
      summaries = await goldSummaries(warehouse);
    },
  });
  log(`    ${summaryLine(summary)}`);
  for (const line of [...modeNotes(summary.results), ...failureDetails(summary.results)]) log(`    ${line}`);

  log("4/4 gold summaries");
  log(summaries);
  log(layerCounts);
  log(`done in ${((performance.now() - startedAt) / 1000).toFixed(1)}s. Query further, e.g.:`);
  log(`  npx pulse query "select * from gold.workout_bpm_summary order by avg_bpm desc limit 10"`);
  log(`  npx pulse query --format csv "select * from gold.gym_summary"`);
  log(`  npx pulse query "select * from pulse_meta.action_results order by seconds desc limit 5"`);
  log(`Run 'npm start' again to land the next ${options.days} day(s) and run incrementally; delete ${paths.home} to reset.`);
  log("See the dashboards, the pipeline and the data docs in a browser:");
  const root = options.cli?.homeRoot ?? options.home;
  const flags = `${path.resolve(root) === path.resolve(options.projectDir, ".pulse") ? "" : ` --home ${path.resolve(root)}`}${options.cli && options.cli.env !== DEFAULT_ENVIRONMENT ? ` --env ${options.cli.env}` : ""}`;
  log(`  npx pulse serve${flags}   # then open http://127.0.0.1:8080/`);
  return runFailed(summary) ? 1 : 0;
}

async function goldSummaries(warehouse: WarehouseAdapter): Promise<string> {
  const sections: string[] = [];
  const show = async (title: string, sql: string, total: string) => {
    const rows = await warehouse.query(sql);
    const [count] = await warehouse.query(total);
    const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
    sections.push(
      `${title} (${count?.n ?? 0} rows, first ${rows.length}):\n${
        rows.length
          ? textTable(
              columns,
              rows.map((r) => columns.map((c) => r[c])),
            )
          : "(empty)"
      }`,
    );
  };
  await show(
    "gold.workout_bpm_summary: heart rate per completed workout session",
    `select user_id, workout_id, session_id, age, gender, city, state, min_bpm, round(avg_bpm, 1) as avg_bpm, max_bpm, num_recordings
     from gold.workout_bpm_summary order by user_id, workout_id, session_id limit 15`,
    "select count(*) as n from gold.workout_bpm_summary",
  );
  await show("gold.gym_summary: workouts matched to gym visits", "select * from gold.gym_summary limit 15", "select count(*) as n from gold.gym_summary");
  return sections.join("\n\n");
}

async function layerRowCounts(warehouse: WarehouseAdapter): Promise<string> {
  const rows = await warehouse.query(
    `select table_schema as layer, table_name as name from information_schema.tables
     where table_schema in ('bronze', 'silver', 'gold') order by 1, 2`,
  );
  const byLayer = new Map<string, string[]>();
  for (const row of rows) {
    const [count] = await warehouse.query(`select count(*) as n from "${String(row.layer)}"."${String(row.name)}"`);
    const list = byLayer.get(String(row.layer)) ?? [];
    list.push(`${String(row.name)} ${Number(count?.n ?? 0).toLocaleString("en-US")}`);
    byLayer.set(String(row.layer), list);
  }
  return ["bronze", "silver", "gold"].map((layer) => `${layer.padEnd(6)} ${(byLayer.get(layer) ?? []).join(", ")}`).join("\n");
}
