/**
 * Kafka → BigQuery bronze through the Storage Write API, events/s. The BigQuery side is the goccy emulator
 * (its own instance, in memory, on free ports): the figure is the emulator's, which runs one request at a time
 * in SQLite, not BigQuery's. A backlog of `--messages` heart-rate events on a 3-partition topic is drained
 * `--runs` times by `pulse ingest --source kafka --sink bigquery` (built CLI, fresh consumer group each run).
 * Events/s is measured from the group's first offset commit to the one that covers the backlog (each commit
 * follows a BigQuery commit), so process start and the first flush are left out; after each run the table
 * must hold exactly `--messages` more rows.
 *
 * `--max-batch` (default 5,000: rows per append and commit) keeps several commits in a run.
 *
 * `--source landing`: the same events as landing files instead (`--files` JSON-lines files of Kafka envelopes),
 * loaded by `pulse ingest --source landing --once --sink bigquery` into a fresh home each run; rows/s is the
 * load's own summary figure (scan to last commit, process start left out).
 *
 *   npm run build && npx tsx bench/bigquerySink.ts [--runs 3] [--messages 50000] [--max-batch 5000] [--source landing --files 4]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { median } from "./median.js";
import { PACKAGE_ROOT } from "../lib/home.js";
import { produceToKafka } from "../produce/toKafka.js";
import type { ProducerRecord } from "../produce/producerRecord.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../services/bigqueryEmulator.js";
import { KAFKA_BROKERS, committedOffsets, kafkaIngestArgs, tempHome, uniquePrefix, waitFor } from "../tests/ingest/helpers.js";
import { startInitialisedEmulator } from "../tests/bigquery/privateEmulator.js";
import { sleep } from "../lib/sleep.js";

const CLI = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");
const GCP = BIGQUERY_EMULATOR_PROJECT;

async function* heartRates(n: number): AsyncGenerator<ProducerRecord> {
  const start = 1_678_410_000;
  for (let i = 0; i < n; i++) {
    const device = 100_000 + (i % 30);
    yield { topic: "bpm", key: String(device), value: JSON.stringify({ device_id: device, time: start + Math.floor(i / 30), heartrate: 60 + (i % 40) }), timestamp: (start + i) * 1000 };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string" }, messages: { type: "string" }, "max-batch": { type: "string" }, source: { type: "string" }, files: { type: "string" } },
    strict: true,
  });
  const flags = z
    .object({
      runs: z.coerce.number().int().positive().default(3),
      messages: z.coerce.number().int().positive().default(50_000),
      "max-batch": z.coerce.number().int().positive().default(5_000),
      source: z.enum(["kafka", "landing"]).default("kafka"),
      files: z.coerce.number().int().positive().default(4),
    })
    .parse(values);
  if (!existsSync(CLI)) throw new Error("build first: npm run build");
  if (flags.source === "landing") return landing(flags.runs, flags.messages, flags.files);
  const prefix = uniquePrefix("bench-bq");
  const n = flags.messages;
  await produceToKafka(heartRates(n), { brokers: [KAFKA_BROKERS], topicPrefix: prefix, partitions: 3, progressMs: 3_600_000, log: () => undefined });
  console.log(`kafka: ${n.toLocaleString("en-US")} heart-rate events on ${prefix}bpm (3 partitions)`);

  const { emulator, env, bigquery } = await startInitialisedEmulator();
  const rates: number[] = [];
  try {
    for (let run = 1; run <= flags.runs; run++) {
      const group = `${prefix}g${run}`;
      // Its own group each run (the later --group wins), so every run drains the whole backlog.
      const args = kafkaIngestArgs(await tempHome(), prefix, ["--sink", "bigquery", "--gcp-project", GCP, "--topics", "bpm", "--max-batch", String(flags["max-batch"]), "--group", group]);
      const child = spawn(process.execPath, [CLI, ...args], { cwd: PACKAGE_ROOT, env, stdio: "ignore" });
      const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
      const committed = async () => Object.values(await committedOffsets(group, [`${prefix}bpm`])).reduce((a, b) => a + b, 0);
      const first = await waitFor("the first commit", async () => ((await committed()) > 0 ? { at: Date.now(), offsets: await committed() } : undefined), 300_000, 50);
      await waitFor("the whole backlog committed", async () => (await committed()) >= n, 1_800_000, 100);
      const perSecond = Math.round(((n - first.offsets) * 1000) / Math.max(1, Date.now() - first.at));
      child.kill("SIGTERM");
      const code = await exited;
      await sleep(200);
      const [[counted]] = (await bigquery.query({ query: `SELECT count(*) AS n FROM \`${GCP}.bronze.kafka_multiplex\`` })) as unknown as [{ n: number }[]];
      const rows = counted!.n;
      rates.push(perSecond);
      console.log(
        `run ${run}: ${perSecond.toLocaleString("en-US")} events/s, table ${rows.toLocaleString("en-US")} rows (${rows === run * n ? "every event once" : `EXPECTED ${(run * n).toLocaleString("en-US")}`}), exit ${code}`,
      );
    }
  } finally {
    await emulator.stop();
  }
  console.log("");
  console.log(
    `kafka → BigQuery emulator (Storage Write API, pending streams): median ${median(rates).toLocaleString("en-US")} events/s over ${flags.runs} runs; the emulator's figure, not BigQuery's`,
  );
}

/** Landing files → BigQuery emulator: `files` files sharing `n` envelope lines, loaded once per run into a fresh home. */
async function landing(runs: number, n: number, files: number): Promise<void> {
  const { emulator, env, bigquery } = await startInitialisedEmulator();
  const rates: number[] = [];
  try {
    const lines: string[][] = Array.from({ length: files }, () => []);
    let i = 0;
    for await (const r of heartRates(n)) lines[i++ % files]!.push(JSON.stringify({ key: r.key, value: r.value, topic: r.topic, partition: 0, offset: i, timestamp: r.timestamp }));
    for (let run = 1; run <= runs; run++) {
      const root = await tempHome();
      const folder = path.join(root, "dev", "landing", "kafka_multiplex");
      mkdirSync(folder, { recursive: true });
      // Each run's files are named apart, so BigQuery holds every run's rows under their own `_source`.
      lines.forEach((file, f) => writeFileSync(path.join(folder, `run${run}-${f}.json`), `${file.join("\n")}\n`));
      const load = spawnSync(process.execPath, [CLI, "ingest", "--source", "landing", "--once", "--sink", "bigquery", "--gcp-project", GCP, "--home", root], {
        cwd: PACKAGE_ROOT,
        env,
        encoding: "utf8",
      });
      if (load.status !== 0) throw new Error(`landing load failed: ${load.stdout}${load.stderr}`);
      const perSecond = Number(/, ([\d,]+) rows\/s/.exec(load.stdout)?.[1]?.replaceAll(",", ""));
      const [[counted]] = (await bigquery.query({ query: `SELECT count(*) AS n FROM \`${GCP}.bronze.kafka_multiplex\`` })) as unknown as [{ n: number }[]];
      rates.push(perSecond);
      console.log(
        `run ${run}: ${perSecond.toLocaleString("en-US")} rows/s, table ${counted!.n.toLocaleString("en-US")} rows (${counted!.n === run * n ? "every line once" : `EXPECTED ${(run * n).toLocaleString("en-US")}`})`,
      );
    }
  } finally {
    await emulator.stop();
  }
  console.log("");
  console.log(
    `landing → BigQuery emulator (Storage Write API, pending streams): median ${median(rates).toLocaleString("en-US")} rows/s over ${runs} runs of ${n.toLocaleString("en-US")} lines in ${files} files; the emulator's figure, not BigQuery's`,
  );
}

await main();
