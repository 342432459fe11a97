/**
 * The reference sets from Kafka and the landing zone to gold on the BigQuery emulator, with both runners: wall
 * seconds per step, each step the median of `--runs` samples, each sample a fresh emulator (its own, in memory,
 * on free ports) and a fresh home. Per set (1, then 2 incremental in DuckDB and a rebuild on the emulator, which
 * cannot run the incremental forms: docs/bigquery.md):
 *   - Kafka → BigQuery bronze through the Storage Write sink, and the batch files;
 *   - `pulse run --warehouse bigquery`;
 *   - the official `dataform run` (set 2: `--tags silver`, then `--tags gold`, as production's jobs run);
 *   - beside them, `pulse run` on DuckDB over the same bronze.
 * The data is the small reference subset of the parity test (tests/bigquery/smallReference.ts: every feed, heart
 * rate thinned to the workout windows): the emulator takes minutes per 100,000 rows. The figures are the
 * emulator's, which answers one request at a time through SQLite, not BigQuery's.
 *
 *   npm run build && npx tsx bench/bigqueryRunners.ts [--runs 3]
 */
import fs, { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { PACKAGE_ROOT } from "../lib/home.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../services/bigqueryEmulator.js";
import { AS_OF_DATE } from "../tests/pipeline/expected-reference.js";
import { REFERENCE } from "../tests/referenceData.js";
import { createDataformDatasets, officialDataform, pulseIn } from "../tests/bigquery/officialDataform.js";
import { startInitialisedEmulator } from "../tests/bigquery/privateEmulator.js";
import { ReferenceFeed } from "../tests/bigquery/referenceFeed.js";
import { writeSmallReference } from "../tests/bigquery/smallReference.js";
import { median } from "./median.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
/** What the bench reads of `pulse run --json`. */
const RunJson = z.object({ actions: z.array(z.object({ name: z.string(), seconds: z.number() })) });
const STEPS = ["bronze (Kafka sink + batch files)", "pulse run, DuckDB", "pulse run --warehouse bigquery", "dataform run (official CLI)"] as const;
type Step = (typeof STEPS)[number];

async function seconds(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** One sample: both sets through every step; seconds per `set/step`. */
async function sample(small: string): Promise<Map<string, number>> {
  const { emulator, env, bigquery } = await startInitialisedEmulator();
  const dataform = officialDataform(bigquery, env, GCP);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-bq-runners-"));
  const took = new Map<string, number>();
  try {
    const feed = new ReferenceFeed(root, small, bigquery, env, GCP);
    for (const set of [1, 2]) {
      const time = async (step: Step, work: () => unknown) => {
        took.set(`${set}/${step}`, await seconds(work));
        console.log(`  set ${set}: ${step}: ${took.get(`${set}/${step}`)!.toFixed(1)} s`);
      };
      const rebuild = set === 2 ? ["--full-refresh"] : [];
      await time("bronze (Kafka sink + batch files)", async () => {
        await feed.produce(set);
        await Promise.all([feed.intoLake(), feed.intoBigQuery()]);
        await feed.batchFiles(set);
      });
      await emulator.forgetJobs(GCP);
      await time("pulse run, DuckDB", () => pulseIn(env, "run", "--home", root, "--vars", `as_of_date=${AS_OF_DATE}`));
      await time("pulse run --warehouse bigquery", () => {
        const run = RunJson.parse(JSON.parse(pulseIn(env, "run", "--warehouse", "bigquery", "--gcp-project", GCP, "--vars", `as_of_date=${AS_OF_DATE}`, "--json", ...rebuild)));
        const slowest = run.actions.sort((a, b) => b.seconds - a.seconds).slice(0, 3);
        console.log(`  set ${set}: slowest on the emulator: ${slowest.map((a) => `${a.name} ${a.seconds.toFixed(1)} s`).join(", ")}`);
      });
      await emulator.forgetJobs(GCP);
      await time("dataform run (official CLI)", async () => {
        await createDataformDatasets(bigquery);
        if (set === 1) dataform.run();
        else for (const tag of ["silver", "gold"]) dataform.run("--tags", tag, ...rebuild);
      });
    }
  } finally {
    await emulator.stop();
    dataform.dispose();
    rmSync(root, { recursive: true, force: true });
  }
  return took;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string" } }, strict: true });
  const flags = z.object({ runs: z.coerce.number().int().positive().default(3) }).parse(values);
  if (!existsSync(path.join(PACKAGE_ROOT, "dist", "cli", "main.js"))) throw new Error("build first: npm run build");
  const small = await writeSmallReference(REFERENCE);
  const samples: Map<string, number>[] = [];
  try {
    for (let run = 1; run <= flags.runs; run++) {
      console.log(`sample ${run} of ${flags.runs}`);
      samples.push(await sample(small));
    }
  } finally {
    rmSync(small, { recursive: true, force: true });
  }
  console.log("");
  console.log(`reference sets (small subset) → gold on the BigQuery emulator, median wall seconds of ${flags.runs}; the emulator's figures, not BigQuery's`);
  for (const set of [1, 2]) {
    for (const step of STEPS) console.log(`  set ${set}  ${step.padEnd(36)} ${median(samples.map((s) => s.get(`${set}/${step}`)!)).toFixed(1)} s`);
  }
  for (const runner of ["pulse run --warehouse bigquery", "dataform run (official CLI)"] as const) {
    const total = median(samples.map((s) => s.get(`1/${runner}`)! + s.get(`2/${runner}`)!));
    const duckdb = median(samples.map((s) => s.get("1/pulse run, DuckDB")! + s.get("2/pulse run, DuckDB")!));
    console.log(`  both sets, ${runner}: ${total.toFixed(1)} s (${(total / duckdb).toFixed(0)}× pulse on DuckDB)`);
  }
}

await main();
