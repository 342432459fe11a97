import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BigQuery } from "@google-cloud/bigquery";
import { AS_OF_DATE } from "../pipeline/expected-reference.js";
import { PACKAGE_ROOT as PROJECT } from "../../lib/home.js";

const DATAFORM = path.join(PROJECT, "node_modules", ".bin", "dataform");
/** The official CLI's copy of the graph lives beside pulse's, on the same bronze (declarations take no suffix). */
export const DATAFORM_SUFFIX = "_df";

/** Runs a command from the project root with `env`; throws with its output when it exits non-zero. */
export function runIn(env: NodeJS.ProcessEnv, command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: PROJECT, env, encoding: "utf8", timeout: 1_200_000 });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The built pulse CLI, as `runIn` runs it. */
export function pulseIn(env: NodeJS.ProcessEnv, ...args: string[]): string {
  return runIn(env, process.execPath, [path.join(PROJECT, "dist", "cli", "main.js"), ...args]);
}

export interface OfficialDataform {
  /** `dataform run` of this project against the emulator, its datasets suffixed with DATAFORM_SUFFIX. */
  run(...extra: string[]): string;
  dispose(): void;
}

/**
 * The official Dataform CLI pointed at an emulator: `env` carries BIGQUERY_EMULATOR_HOST, which the CLI's
 * BigQuery client honours. Its credentials are a project and no key: with no key Google's auth library finds no
 * credentials and the client sends its requests unauthenticated, which the emulator accepts.
 */
export function officialDataform(bigquery: BigQuery, env: NodeJS.ProcessEnv, project: string): OfficialDataform {
  const credentials = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pulse-df-credentials-")), ".df-credentials.json");
  fs.writeFileSync(credentials, JSON.stringify({ projectId: project, location: "US" }));
  return {
    run(...extra) {
      return runIn(env, DATAFORM, [
        "run",
        PROJECT,
        "--credentials",
        credentials,
        "--default-database",
        project,
        "--schema-suffix",
        DATAFORM_SUFFIX.slice(1),
        "--vars",
        `as_of_date=${AS_OF_DATE}`,
        ...extra,
      ]);
    },
    dispose() {
      fs.rmSync(path.dirname(credentials), { recursive: true, force: true });
    },
  };
}

/**
 * The emulator answers the official CLI's `create schema if not exists` with success but creates no dataset
 * (docs/bigquery.md), so the set-up creates the CLI's suffixed datasets, one per dataset pulse made, through the API.
 */
export async function createDataformDatasets(bigquery: BigQuery): Promise<void> {
  const [datasets] = await bigquery.getDatasets();
  for (const id of datasets.map((d) => d.id ?? "").filter((id) => id !== "bronze" && !id.endsWith(DATAFORM_SUFFIX))) {
    const [exists] = await bigquery.dataset(`${id}${DATAFORM_SUFFIX}`).exists();
    if (!exists) await bigquery.createDataset(`${id}${DATAFORM_SUFFIX}`);
  }
}
