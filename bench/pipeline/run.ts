/**
 * The pipeline benchmark (issue 3): synthetic data with ~10 million heart-rate readings, on this machine.
 *   1. landing files → bronze rows/s (`pulse ingest --source landing --once`);
 *   2. a full `pulse run` vs the same transformations as plain DuckDB SQL (bench/pipeline/baseline.ts), and the ratio;
 *   3. after ≈1% more data, the incremental `pulse run` vs the full run. The data is cut into 200 time slices; readings
 *      follow the wearers' day, so many slices hold none. The added slice k is the latest one holding ≥ 0.75% of the
 *      readings of slices 1..k−1: the full run loads slices 1..k−1, the incremental run slice k alone (later slices,
 *      the quiet tail of the period, are never loaded);
 *   4. peak RSS of every measured process.
 * Each figure is the median of --runs independent samples (default 3), each sample one home measured start to
 * finish, and each ratio the median of the samples' ratios. Every process is timed whole, as a user would see it,
 * under /usr/bin/time for its peak RSS.
 *
 *   npm run build && npx tsx bench/pipeline/run.ts [--users 1800] [--days 2] [--runs 3] [--keep]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { z } from "zod";
import { homePaths } from "../../lib/home.js";
import { baselineStatements } from "./baseline.js";

const REPO = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(REPO, "dist", "cli", "main.js");
const AS_OF = "2024-01-01";
const SLICES = 200;
/** The added slice must hold at least this share of the readings already loaded ("≈1% more data"). */
const ADDED_SHARE = 0.0075;

interface Sample {
  rows: number;
  landing: Timed;
  full: Timed;
  baseline: Timed;
  incremental: Timed;
}

interface Timed {
  seconds: number;
  maxRssMb: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time: wall seconds and peak RSS of the whole process. */
function timed(command: string, args: string[]): Timed {
  const result = spawnSync("/usr/bin/time", ["-f", "__time %e %M", command, ...args], { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 26 });
  const match = /__time ([\d.]+) (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !match) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return { seconds: Number(match[1]), maxRssMb: Number(match[2]) / 1024, stdout: result.stdout };
}

function pulse(home: string, ...args: string[]): Timed {
  return timed(process.execPath, [CLI, ...args, "--home", home]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The time slice a generated file belongs to (the `-bNNN-` in its name). */
function sliceOf(name: string): number {
  return Number(/-b(\d+)-/.exec(name)?.[1]);
}

/** Heart-rate readings per time slice: lines of the generated `bpm` files (one reading per line). */
function readingsPerSlice(generated: string): Map<number, number> {
  const folder = path.join(homePaths(generated).landing, "kafka_multiplex");
  const counts = new Map<number, number>();
  for (const name of fs.readdirSync(folder)) {
    if (!name.includes("-bpm.")) continue;
    const data = fs.readFileSync(path.join(folder, name));
    let lines = 0;
    for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines++;
    counts.set(sliceOf(name), (counts.get(sliceOf(name)) ?? 0) + lines);
  }
  return counts;
}

/** The latest slice k whose readings are ≥ ADDED_SHARE of those in slices 1..k−1. */
function addedSlice(readings: Map<number, number>): { slice: number; readings: number; before: number } {
  let best: { slice: number; readings: number; before: number } | undefined;
  let before = 0;
  for (let slice = 1; slice <= SLICES; slice++) {
    const n = readings.get(slice) ?? 0;
    if (before > 0 && n >= ADDED_SHARE * before) best = { slice, readings: n, before };
    before += n;
  }
  if (!best) throw new Error("no time slice holds enough readings to be the added 1%");
  return best;
}

/** Hard-links the generated files of the chosen time slices into a home's landing zone. */
function landSlices(generated: string, home: string, keep: (slice: number) => boolean): number {
  let files = 0;
  for (const feed of ["registered_users", "gym_logins", "kafka_multiplex"]) {
    const from = path.join(homePaths(generated).landing, feed);
    const to = path.join(homePaths(home).landing, feed);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      if (!keep(sliceOf(name))) continue;
      fs.linkSync(path.join(from, name), path.join(to, name));
      files++;
    }
  }
  return files;
}

async function bronzeRows(home: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    let total = 0;
    for (const table of ["registered_users", "gym_logins", "kafka_multiplex"]) {
      const reader = await connection.runAndReadAll(`select count(*) as n from read_parquet('${homePaths(home).bronze}/${table}/*.parquet')`);
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
    options: { users: { type: "string" }, days: { type: "string" }, runs: { type: "string" }, keep: { type: "boolean" }, baseline: { type: "string" }, database: { type: "string" } },
    strict: true,
  });
  if (values.baseline !== undefined) return baselineChild(values.baseline, values.database!);
  const flags = z
    .object({ users: z.coerce.number().int().positive().default(1800), days: z.coerce.number().int().positive().default(2), runs: z.coerce.number().int().positive().default(3) })
    .parse(values);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-pipeline-"));
  try {
    const generated = path.join(root, "generated");
    console.log(`generating ${flags.users} users × ${flags.days} days in ${SLICES} time slices under ${root} ...`);
    const gen = pulse(generated, "produce", "--to", "landing", "--synthetic", "--users", String(flags.users), "--days", String(flags.days), "--seed", "7", "--batches", String(SLICES));
    console.log(`  ${gen.seconds.toFixed(1)} s`);
    const added = addedSlice(readingsPerSlice(generated));
    console.log(
      `  full run: slices 1..${added.slice - 1} (${added.before.toLocaleString("en-US")} readings); added: slice ${added.slice} ` +
        `(${added.readings.toLocaleString("en-US")} readings, ${((100 * added.readings) / added.before).toFixed(2)}%)`,
    );

    // Each sample is one home measured start to finish: landing, full run, the baseline over the same lake, then the
    // added slice and the incremental run. Run back to back, a sample's figures share the machine's state of the
    // moment, so the ratios are taken per sample (this machine's speed drifts by ±10% over minutes).
    const samples: Sample[] = [];
    for (let run = 0; run < flags.runs; run++) {
      const home = path.join(root, `home-${run}`);
      landSlices(generated, home, (slice) => slice < added.slice);
      const ingest = pulse(home, "ingest", "--source", "landing", "--once");
      const rows = await bronzeRows(home);
      const full = pulse(home, "run", "--vars", `as_of_date=${AS_OF}`);
      const database = path.join(root, `baseline-${run}.duckdb`);
      const baseline = timed(process.execPath, [...process.execArgv, process.argv[1]!, "--baseline", homePaths(home).lake, "--database", database]);
      fs.rmSync(database, { force: true });
      landSlices(generated, home, (slice) => slice === added.slice);
      pulse(home, "ingest", "--source", "landing", "--once");
      const addedRows = (await bronzeRows(home)) - rows;
      const incremental = pulse(home, "run", "--vars", `as_of_date=${AS_OF}`);
      const sample = { rows, landing: ingest, full, baseline, incremental };
      samples.push(sample);
      console.log(
        `  sample ${run + 1}: landing ${rows.toLocaleString("en-US")} rows in ${ingest.seconds.toFixed(2)} s; full run ${full.seconds.toFixed(2)} s; ` +
          `baseline ${baseline.seconds.toFixed(2)} s (${(full.seconds / baseline.seconds).toFixed(2)}×); ` +
          `incremental after +${addedRows.toLocaleString("en-US")} rows ${incremental.seconds.toFixed(2)} s (${((100 * incremental.seconds) / full.seconds).toFixed(1)}%)`,
      );
      fs.rmSync(home, { recursive: true, force: true });
    }

    const of = (pick: (s: Sample) => number) => median(samples.map(pick));
    const peak = (pick: (s: Sample) => Timed) => Math.max(...samples.map((s) => pick(s).maxRssMb));
    console.log("\nresults (medians of %d samples, whole processes on this machine):", flags.runs);
    console.log(`  bronze rows loaded               ${of((s) => s.rows).toLocaleString("en-US")}`);
    console.log(`  landing → bronze                 ${Math.round(of((s) => s.rows / s.landing.seconds)).toLocaleString("en-US")} rows/s (target ≥ 1,000,000)`);
    console.log(`  full pulse run                   ${of((s) => s.full.seconds).toFixed(2)} s`);
    console.log(`  plain DuckDB SQL baseline        ${of((s) => s.baseline.seconds).toFixed(2)} s`);
    console.log(`  ratio pulse / baseline           ${of((s) => s.full.seconds / s.baseline.seconds).toFixed(2)}× (target ≤ 1.5×)`);
    console.log(
      `  incremental run after +1% data   ${of((s) => s.incremental.seconds).toFixed(2)} s = ${of((s) => (100 * s.incremental.seconds) / s.full.seconds).toFixed(1)}% of the full run (target ≤ 10%)`,
    );
    const peaks = { landing: peak((s) => s.landing), full: peak((s) => s.full), baseline: peak((s) => s.baseline), incremental: peak((s) => s.incremental) };
    console.log(
      `  peak RSS of any measured process ${Math.max(...Object.values(peaks)).toFixed(0)} MiB (landing ${peaks.landing.toFixed(0)}, full run ${peaks.full.toFixed(0)}, baseline ${peaks.baseline.toFixed(0)}, incremental ${peaks.incremental.toFixed(0)})`,
    );
  } finally {
    if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
