/**
 * Landing → bronze throughput: generates heart-rate Kafka-envelope JSON lines (plain and .gz) into temp landing
 * zones, loads each zone 3 times into a fresh PULSE_HOME (in a child process, so its peak RSS is the loader's
 * alone), and prints the median rows/s against the target of 1,000,000 rows/s.
 *
 *   npx tsx bench/landing.ts [--rows 10000000] [--files 10] [--runs 3] [--keep]
 */
import { spawnSync } from "node:child_process";
import { link, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { z } from "zod";
import { homePaths } from "../lib/home.js";
import { loadLandingOnce } from "../ingest/landing/loadLanding.js";

const TARGET_ROWS_PER_SECOND = 1_000_000;

const ChildResult = z.object({ rows: z.number(), deadLetters: z.number(), seconds: z.number(), cpuSeconds: z.number(), maxRssKb: z.number() });
type ChildResult = z.infer<typeof ChildResult>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: "string" }, files: { type: "string" }, runs: { type: "string" }, keep: { type: "boolean" }, child: { type: "string" } },
    strict: true,
  });
  if (values.child !== undefined) return child(values.child);
  const flags = z
    .object({ rows: z.coerce.number().int().positive().default(10_000_000), files: z.coerce.number().int().positive().default(10), runs: z.coerce.number().int().positive().default(3) })
    .parse(values);
  const root = await mkdtemp(path.join(os.tmpdir(), "pulse-bench-landing-"));
  try {
    console.log(`generating ${flags.rows.toLocaleString("en-US")} heart-rate lines in ${flags.files} file(s), plain and gzip, under ${root}`);
    const generated = await generate(root, flags.rows, flags.files);
    console.log(`  ${generated.seconds.toFixed(1)} s`);
    for (const variant of ["plain", "gzip"] as const) {
      const results: ChildResult[] = [];
      for (let run = 0; run < flags.runs; run += 1) {
        const home = path.join(root, `home-${variant}-${run}`);
        const landing = path.join(homePaths(home).landing, "kafka_multiplex");
        await mkdir(landing, { recursive: true });
        for (const file of await readdir(path.join(root, variant))) await link(path.join(root, variant, file), path.join(landing, file));
        results.push(runChild(home));
        if (!values.keep) await rm(home, { recursive: true, force: true });
        const last = results.at(-1)!;
        console.log(
          `  ${variant} run ${run + 1}: ${last.rows.toLocaleString("en-US")} rows in ${last.seconds.toFixed(2)} s = ${rate(last).toLocaleString("en-US")} rows/s, CPU ${((last.cpuSeconds / last.rows) * 1e6).toFixed(2)} µs/row, peak RSS ${(last.maxRssKb / 1024).toFixed(0)} MiB`,
        );
        if (last.rows !== flags.rows || last.deadLetters !== 0) throw new Error(`expected ${flags.rows} rows and no dead letters, got ${last.rows} / ${last.deadLetters}`);
      }
      const median = [...results].sort((a, b) => rate(a) - rate(b))[Math.floor(results.length / 2)]!;
      const peak = Math.max(...results.map((r) => r.maxRssKb));
      // Wall-clock rates depend on what else the machine runs; CPU per row does not, and bounds the rate on idle cores.
      const cpuPerRow = median.cpuSeconds / median.rows;
      console.log(
        `landing ${variant}: ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}; CPU-bound rate on idle CPUs ${Math.round(os.availableParallelism() / cpuPerRow).toLocaleString("en-US")} rows/s`,
      );
      console.log(
        `landing ${variant}: median ${rate(median).toLocaleString("en-US")} rows/s (${median.seconds.toFixed(2)} s), target ${TARGET_ROWS_PER_SECOND.toLocaleString("en-US")} → ratio ${(rate(median) / TARGET_ROWS_PER_SECOND).toFixed(2)}; peak RSS ${(peak / 1024).toFixed(0)} MiB`,
      );
    }
  } finally {
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

const rate = (r: ChildResult) => Math.round(r.rows / r.seconds);

/** Writes the lines with DuckDB's JSON writer: one envelope object per line, `value` a JSON string. */
async function generate(root: string, rows: number, files: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const devices = 200;
  try {
    for (const variant of ["plain", "gzip"] as const) {
      await mkdir(path.join(root, variant), { recursive: true });
      for (let f = 0; f < files; f += 1) {
        const from = Math.floor((rows * f) / files);
        const to = Math.floor((rows * (f + 1)) / files);
        const file = path.join(root, variant, `3-bpm-${String(f).padStart(3, "0")}.json${variant === "gzip" ? ".gz" : ""}`);
        await connection.run(`
          COPY (
            SELECT CAST(device AS VARCHAR) AS "key",
              '{"device_id": ' || device || ', "time": ' || t || ', "heartrate": ' || heartrate || '}' AS "value",
              'bpm' AS topic, 0 AS "partition", i AS "offset", t AS "timestamp"
            FROM (SELECT i, 100000 + i % ${devices} AS device, 1678410000 + i // ${devices} AS t, 35 + (hash(i) % 6000) / 100.0 AS heartrate FROM range(${from}, ${to}) AS r(i))
          ) TO '${file}' (FORMAT json, COMPRESSION ${variant === "gzip" ? "gzip" : "none"})`);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

function runChild(home: string): ChildResult {
  const script = process.argv[1]!;
  const result = spawnSync(process.execPath, [...process.execArgv, script, "--child", home], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) throw new Error(`bench child failed (exit ${result.status})`);
  return ChildResult.parse(JSON.parse(result.stdout.trim().split("\n").at(-1)!));
}

async function child(home: string): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const summary = await loadLandingOnce(home);
  const cpu = process.cpuUsage(cpuBefore);
  const rows = summary.rows.kafka_multiplex;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ rows, deadLetters: summary.deadLetters, seconds: summary.seconds, cpuSeconds, maxRssKb: process.resourceUsage().maxRSS }));
}

await main();
