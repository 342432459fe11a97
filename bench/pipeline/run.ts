/**
 * The pipeline benchmark (issues 3 and 8): synthetic data with ~10 million heart-rate readings, on this machine.
 * Per scenario the generated data is split (bench/pipeline/zoneSplits.ts) into the zone of a full run and the data
 * an incremental run adds:
 *   - late +2.5% and late +0.1%: a random share of the lines of every file, from every day (late readings, late
 *     workout stops, late registrations, late CDC events);
 *   - next slice +0.1%: the time slice after the full run's, new data at the head of time as a live stream brings it.
 * The full run's zone is realistic: one file per time slice with the three topics mixed, every third gzipped, beside
 * the CSV feeds. Per scenario:
 *   1. landing the full run's zone → bronze rows/s (`pulse ingest --source landing --once`);
 *   2. the full `pulse run` (and, for the first scenario, the same transformations as plain DuckDB SQL,
 *      bench/pipeline/baseline.ts, and the ratio);
 *   3. the added data landed, the incremental run and its ratio to the full run, two ways: a `pulse run` process, and
 *      a run of `pulse run --watch`, which keeps the warehouse open from one run to the next;
 *   4. peak RSS of every measured process.
 * Until the late registrations arrive, workouts of unregistered users fail the `_known_` assertions: the full run
 * is allowed those failures, nothing else.
 * Each figure is the median of --runs independent samples (default 3), each sample one home per scenario measured
 * start to finish, and each ratio the median of the samples' ratios. Every process is timed whole, as a user would
 * see it, under /usr/bin/time for its peak RSS; a watched run as its status line reports it (wall and CPU seconds
 * of the run). The machine is shared: figures move with its load.
 *
 * `--only landing` measures step 1 alone, on the first scenario's zone: the realistic zone's landing rows/s (wall and
 * per CPU second) in minutes instead of the whole bench's hour.
 *
 *   npm run build && npx tsx bench/pipeline/run.ts [--users 1800] [--days 2] [--runs 3] [--only landing] [--keep]
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { z } from "zod";
import { homePaths } from "../../lib/home.js";
import { baselineStatements } from "./baseline.js";
import { sliceOf, splitAtSlice, splitZone, type ZoneSplit } from "./zoneSplits.js";
import { median } from "../median.js";

const REPO = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(REPO, "dist", "cli", "main.js");
const AS_OF = "2024-01-01";
const SLICES = 200;
/** How each scenario splits the generated zone, and the incremental run's target as a percentage of the full run. */
const SCENARIOS: { name: string; split: (generated: string, full: string, added: string) => ZoneSplit; target: number }[] = [
  { name: "late +2.5%", split: (generated, full, added) => splitZone(generated, full, added, 0.025), target: 10 },
  { name: "late +0.1%", split: (generated, full, added) => splitZone(generated, full, added, 0.001), target: 3 },
  { name: "next slice +0.1%", split: (generated, full, added) => splitAtSlice(generated, full, added, 0.001), target: 3 },
];
/** Between two watched runs: long enough to land the added data after the first and before the second. */
const WATCH_INTERVAL_SECONDS = 20;

interface Sample {
  rows: number;
  landing: Timed;
  full: Timed;
  /** Only in the first scenario. */
  baseline?: Timed;
  incremental: Timed;
  /** The incremental run of `pulse run --watch`, from its status line. */
  watched: { seconds: number; cpuSeconds: number };
}

interface Timed {
  seconds: number;
  /** User + system CPU seconds: on a machine shared with other work, wall time moves with their load, this less. */
  cpuSeconds: number;
  maxRssMb: number;
  stdout: string;
}

/**
 * Runs a command under /usr/bin/time: wall seconds, CPU seconds and peak RSS of the whole process. A non-zero exit
 * fails unless `allowExit` says the output still counts.
 */
function timed(command: string, args: string[], allowExit: (stdout: string) => boolean = () => false): Timed {
  const result = spawnSync("/usr/bin/time", ["-f", "__time %e %M %U %S", command, ...args], { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 26 });
  const match = /__time ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(result.stderr);
  if ((result.status !== 0 && !allowExit(result.stdout)) || !match) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return { seconds: Number(match[1]), cpuSeconds: Number(match[3]) + Number(match[4]), maxRssMb: Number(match[2]) / 1024, stdout: result.stdout };
}

/** The CLI keeps the default environment's state in `<--home>/dev/`. */
function devState(home: string) {
  return homePaths(path.join(home, "dev"));
}

function pulse(home: string, ...args: string[]): Timed {
  return timed(process.execPath, [CLI, ...args, "--home", home]);
}

/** Hard-links every landing file of `zone` (a home holding only a landing zone) into `home`'s landing zone. */
function landZone(zone: string, home: string): void {
  for (const feed of fs.readdirSync(homePaths(zone).landing)) {
    const from = path.join(homePaths(zone).landing, feed);
    const to = path.join(devState(home).landing, feed);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) fs.linkSync(path.join(from, name), path.join(to, name));
  }
}

const RunJson = z.object({ actions: z.array(z.object({ name: z.string(), type: z.string(), status: z.string(), seconds: z.number() })) });

/**
 * `pulse run --json`, timed. It may exit 1 only for the `_known_` assertions (workouts or visits of users whose
 * registration is late); any other failure stops the bench.
 */
function pulseRun(home: string): Timed & { actions: z.infer<typeof RunJson>["actions"] } {
  const actions = (stdout: string) => RunJson.parse(JSON.parse(stdout)).actions;
  const onlyLateUsers = (stdout: string) => actions(stdout).every((a) => a.status === "success" || (a.type === "assertion" && a.name.includes("_known_")));
  const run = timed(process.execPath, [CLI, "run", "--vars", `as_of_date=${AS_OF}`, "--json", "--home", home], onlyLateUsers);
  return { ...run, actions: actions(run.stdout) };
}

/**
 * Starts `pulse run --watch` on `home`, lands `added` after its first run, and returns the second run as its status
 * line reports it: a run of the graph over the added data on a warehouse kept open since the first.
 */
async function watchedRun(home: string, added: string): Promise<Sample["watched"]> {
  const child = spawn(process.execPath, [CLI, "run", "--watch", "--interval", `${WATCH_INTERVAL_SECONDS}s`, "--vars", `as_of_date=${AS_OF}`, "--home", home], { cwd: REPO });
  const lines: string[] = [];
  let pending = "";
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split("\n");
    pending = complete.pop()!;
    lines.push(...complete.filter((l) => / run #\d+ /.test(l)));
  });
  const exited = new Promise((resolve) => child.on("close", resolve));
  const nth = async (n: number) => {
    while (lines.length < n) {
      if (child.exitCode !== null) throw new Error(`pulse run --watch exited ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return lines[n - 1]!;
  };
  try {
    await nth(1);
    const landingStarted = Date.now();
    landZone(added, home);
    pulse(home, "ingest", "--source", "landing", "--once");
    const landed = Date.now();
    const line = await nth(2);
    const seen = Date.now();
    const match = /\| ([\d.]+)s \(cpu ([\d.]+)s\) \|/.exec(line);
    if (!match) throw new Error(`unexpected watch status line: ${line}`);
    const seconds = Number(match[1]);
    // The second run must have started after the added data was in the lake (the line is seen up to 50 ms late).
    if (seen - seconds * 1000 < landed) throw new Error(`the watched run started before the added data was landed (landing took ${((landed - landingStarted) / 1000).toFixed(1)} s)`);
    return { seconds, cpuSeconds: Number(match[2]) };
  } finally {
    child.kill("SIGINT");
    await exited;
  }
}

async function bronzeRows(home: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    let total = 0;
    for (const table of ["registered_users", "gym_logins", "kafka_multiplex"]) {
      const reader = await connection.runAndReadAll(`select count(*) as n from read_parquet('${devState(home).bronze}/${table}/*.parquet')`);
      total += Number(reader.getRowObjects()[0]!.n);
    }
    return total;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The baseline in its own process (so its RSS is its own): plain SQL into a fresh DuckDB file. */
async function baselineChild(lakeDir: string, database: string): Promise<void> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  for (const statement of baselineStatements({ lakeDir, asOfDate: AS_OF })) await connection.run(statement);
  connection.closeSync();
  instance.closeSync();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: "string" },
      days: { type: "string" },
      runs: { type: "string" },
      keep: { type: "boolean" },
      only: { type: "string" },
      baseline: { type: "string" },
      database: { type: "string" },
    },
    strict: true,
  });
  if (values.baseline !== undefined) return baselineChild(values.baseline, values.database!);
  const flags = z
    .object({
      users: z.coerce.number().int().positive().default(1800),
      days: z.coerce.number().int().positive().default(2),
      runs: z.coerce.number().int().positive().default(3),
      only: z.literal("landing").optional(),
    })
    .parse(values);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-pipeline-"));
  try {
    const generated = path.join(root, "generated");
    console.log(`generating ${flags.users} users × ${flags.days} days in ${SLICES} time slices under ${root} ...`);
    const gen = pulse(generated, "produce", "--to", "landing", "--synthetic", "--users", String(flags.users), "--days", String(flags.days), "--seed", "7", "--batches", String(SLICES));
    const slices = new Set(fs.readdirSync(path.join(devState(generated).landing, "kafka_multiplex")).map(sliceOf)).size;
    console.log(`  ${gen.seconds.toFixed(1)} s; ${slices} slices hold events`);

    if (flags.only === "landing") return await landingOnly(generated, root, flags.runs);
    for (const [index, scenario] of SCENARIOS.entries()) {
      const onTime = path.join(root, `on-time-${index}`);
      const late = path.join(root, `late-${index}`);
      const zone = scenario.split(path.join(generated, "dev"), onTime, late);
      console.log(
        `\nscenario ${scenario.name}: full run ${zone.fullLines.toLocaleString("en-US")} lines in ${zone.fullFiles} files; added ` +
          `${zone.addedLines.toLocaleString("en-US")} lines (+${((100 * zone.addedLines) / zone.fullLines).toFixed(2)}%) in ${zone.addedFiles} files`,
      );
      // Each sample is one home measured start to finish. Run back to back, a sample's figures share the machine's
      // state of the moment, so the ratios are taken per sample.
      const samples: Sample[] = [];
      for (let run = 0; run < flags.runs; run++) {
        const home = path.join(root, `home-${index}-${run}`);
        landZone(onTime, home);
        const ingest = pulse(home, "ingest", "--source", "landing", "--once");
        const rows = await bronzeRows(home);
        const full = pulseRun(home);
        let baseline: Timed | undefined;
        if (index === 0) {
          const database = path.join(root, `baseline-${run}.duckdb`);
          baseline = timed(process.execPath, [...process.execArgv, process.argv[1]!, "--baseline", devState(home).lake, "--database", database]);
          fs.rmSync(database, { force: true });
        }
        // The watched run gets a copy of the home as the full run left it (landing files linked, not copied).
        const watchedHome = `${home}-watched`;
        fs.cpSync(home, watchedHome, { recursive: true, filter: (source) => !source.startsWith(devState(home).landing) });
        landZone(onTime, watchedHome);
        landZone(late, home);
        pulse(home, "ingest", "--source", "landing", "--once");
        const addedRows = (await bronzeRows(home)) - rows;
        const incremental = pulseRun(home);
        const watched = await watchedRun(watchedHome, late);
        fs.rmSync(watchedHome, { recursive: true, force: true });
        samples.push({ rows, landing: ingest, full, baseline, incremental, watched });
        const slowest = [...incremental.actions].sort((a, b) => b.seconds - a.seconds).slice(0, 4);
        console.log(
          `  sample ${run + 1}: landing ${rows.toLocaleString("en-US")} rows in ${ingest.seconds.toFixed(2)} s ` +
            `(${Math.round(rows / ingest.seconds).toLocaleString("en-US")} rows/s); full run ${full.seconds.toFixed(2)} s` +
            `${baseline ? `; baseline ${baseline.seconds.toFixed(2)} s (${(full.seconds / baseline.seconds).toFixed(2)}×)` : ""}; ` +
            `incremental after +${addedRows.toLocaleString("en-US")} rows ${incremental.seconds.toFixed(2)} s (${((100 * incremental.seconds) / full.seconds).toFixed(1)}%), ` +
            `watched ${watched.seconds.toFixed(2)} s (${((100 * watched.seconds) / full.seconds).toFixed(1)}%); load average ${os.loadavg()[0]!.toFixed(1)}` +
            `\n    slowest incremental actions: ${slowest.map((a) => `${a.name.split(".").slice(-1)[0]} ${a.seconds.toFixed(2)} s`).join(", ")}`,
        );
        fs.rmSync(home, { recursive: true, force: true });
      }

      const of = (pick: (s: Sample) => number) => median(samples.map(pick));
      const peak = (pick: (s: Sample) => Timed | undefined) => Math.max(0, ...samples.map((s) => pick(s)?.maxRssMb ?? 0));
      console.log(`results for ${scenario.name} (medians of ${flags.runs} samples, whole processes on a shared machine):`);
      console.log(`  bronze rows loaded on time       ${of((s) => s.rows).toLocaleString("en-US")}`);
      console.log(`  landing → bronze (mixed zone)    ${Math.round(of((s) => s.rows / s.landing.seconds)).toLocaleString("en-US")} rows/s (target ≥ 1,000,000)`);
      console.log(`  full pulse run                   ${of((s) => s.full.seconds).toFixed(2)} s`);
      if (index === 0) {
        console.log(`  plain DuckDB SQL baseline        ${of((s) => s.baseline!.seconds).toFixed(2)} s`);
        console.log(`  ratio pulse / baseline           ${of((s) => s.full.seconds / s.baseline!.seconds).toFixed(2)}× (target ≤ 1.5×)`);
      }
      console.log(
        `  incremental run                  ${of((s) => s.incremental.seconds).toFixed(2)} s = ${of((s) => (100 * s.incremental.seconds) / s.full.seconds).toFixed(1)}% of the full run (target ≤ ${scenario.target}%)`,
      );
      console.log(
        `  incremental run of run --watch   ${of((s) => s.watched.seconds).toFixed(2)} s = ${of((s) => (100 * s.watched.seconds) / s.full.seconds).toFixed(1)}% of the full run (warehouse kept open)`,
      );
      console.log(
        `  the same in CPU seconds          landing ${Math.round(of((s) => s.rows / s.landing.cpuSeconds)).toLocaleString("en-US")} rows per CPU s; full run ${of((s) => s.full.cpuSeconds).toFixed(2)} s; ` +
          `incremental ${of((s) => s.incremental.cpuSeconds).toFixed(2)} s = ${of((s) => (100 * s.incremental.cpuSeconds) / s.full.cpuSeconds).toFixed(1)}%; ` +
          `run --watch ${of((s) => s.watched.cpuSeconds).toFixed(2)} s = ${of((s) => (100 * s.watched.cpuSeconds) / s.full.cpuSeconds).toFixed(1)}%`,
      );
      const peaks = { landing: peak((s) => s.landing), full: peak((s) => s.full), baseline: peak((s) => s.baseline), incremental: peak((s) => s.incremental) };
      console.log(
        `  peak RSS of any measured process ${Math.max(...Object.values(peaks)).toFixed(0)} MiB (landing ${peaks.landing.toFixed(0)}, full run ${peaks.full.toFixed(0)}, baseline ${peaks.baseline.toFixed(0)}, incremental ${peaks.incremental.toFixed(0)})`,
      );
    }
  } finally {
    if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

/** `--only landing`: the first scenario's on-time zone landed into a fresh home per sample, nothing else. */
async function landingOnly(generated: string, root: string, runs: number): Promise<void> {
  const onTime = path.join(root, "on-time");
  const zone = SCENARIOS[0]!.split(path.join(generated, "dev"), onTime, path.join(root, "late"));
  console.log(`\nlanding only: ${zone.fullLines.toLocaleString("en-US")} lines in ${zone.fullFiles} files`);
  const samples: { rows: number; landing: Timed }[] = [];
  for (let run = 0; run < runs; run++) {
    const home = path.join(root, `home-landing-${run}`);
    landZone(onTime, home);
    const landing = pulse(home, "ingest", "--source", "landing", "--once");
    const rows = await bronzeRows(home);
    samples.push({ rows, landing });
    console.log(
      `  sample ${run + 1}: ${rows.toLocaleString("en-US")} rows in ${landing.seconds.toFixed(2)} s = ${Math.round(rows / landing.seconds).toLocaleString("en-US")} rows/s, ` +
        `${Math.round(rows / landing.cpuSeconds).toLocaleString("en-US")} rows per CPU s, peak RSS ${landing.maxRssMb.toFixed(0)} MiB; load average ${os.loadavg()[0]!.toFixed(1)}`,
    );
    fs.rmSync(home, { recursive: true, force: true });
  }
  const of = (pick: (s: (typeof samples)[number]) => number) => median(samples.map(pick));
  console.log(
    `landing → bronze (mixed zone), median of ${runs}: ${Math.round(of((s) => s.rows / s.landing.seconds)).toLocaleString("en-US")} rows/s (target ≥ 1,000,000), ` +
      `${Math.round(of((s) => s.rows / s.landing.cpuSeconds)).toLocaleString("en-US")} rows per CPU s; ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
}

await main();
