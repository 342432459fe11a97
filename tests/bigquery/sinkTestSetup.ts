import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BigQuery } from "@google-cloud/bigquery";
import { BRONZE_TABLE_NAMES } from "../../lake/bronzeTables.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { PROJECT } from "../pipeline/pipelineHarness.js";
import { startInitialisedEmulator, type PrivateEmulator, type PrivateEmulatorOptions } from "./privateEmulator.js";
import { bigqueryTableRows, duckdbTableRows, tableDifferences } from "./tableRows.js";

export const GCP = BIGQUERY_EMULATOR_PROJECT;
const BRONZE = BRONZE_TABLE_NAMES.map((t) => `bronze.${t}`);
/** Stamped when and where a batch was written: the lake's and BigQuery's differ by design. */
const WRITE_STAMPS = ["_batch", "_ingested_at", "dead_lettered_at"];
const CLI = path.join(PROJECT, "dist", "cli", "main.js");

/**
 * A private emulator with the bronze tables, for the sink tests that compare BigQuery's bronze with the lake's
 * (whole tables: nothing else may write them). `pulse` runs the built CLI pointed at it.
 */
export interface SinkEmulator {
  emulator: PrivateEmulator;
  bigquery: BigQuery;
  /** The process environment with BIGQUERY_EMULATOR_HOST and BIGQUERY_STORAGE_EMULATOR_HOST for it. */
  env: NodeJS.ProcessEnv;
  pulse(root: string, ...args: string[]): { status: number | null; stdout: string; output: string };
  /** Every bronze table of the lake under `root` (env dev) against BigQuery's, row for row, or undefined when equal. */
  bronzeDifferences(root: string): Promise<string | undefined>;
}

export async function startSinkEmulator(options: PrivateEmulatorOptions = {}): Promise<SinkEmulator> {
  const { emulator, env, bigquery } = await startInitialisedEmulator(options);
  const pulse = (root: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args, "--home", root], { cwd: PROJECT, env, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
  };
  return {
    emulator,
    bigquery,
    env,
    pulse,
    async bronzeDifferences(root) {
      const lake = await duckdbTableRows(path.join(root, "dev"), BRONZE, WRITE_STAMPS);
      return tableDifferences(lake, await bigqueryTableRows(bigquery, GCP, BRONZE, "", WRITE_STAMPS));
    },
  };
}

/** Temp PULSE_HOME roots of a test file, removed by `removeTempRoots`. */
const roots: string[] = [];

export function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bq-sink-"));
  roots.push(root);
  return root;
}

export function removeTempRoots(): void {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
}
