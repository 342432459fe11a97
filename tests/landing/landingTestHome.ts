import { mkdtempSync, rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll } from "vitest";
import { homePaths } from "../../lib/home.js";
import { bronzeFilesAsRead } from "../../lake/lakeReader.js";
import type { LandingFeed } from "../../ingest/landing/landingFeeds.js";

import { REFERENCE } from "../referenceData.js";
export { REFERENCE };

/** Reference files of set n, by landing feed, as the reference producer lands them. */
export function referenceSet(n: 1 | 2): Record<LandingFeed, string[]> {
  return {
    registered_users: [`test_data/1-registered_users_${n}.csv`],
    gym_logins: [`test_data/5-gym_logins_${n}.csv`],
    kafka_multiplex: [`test_data/2-user_info_${n}.json`, n === 1 ? "reconstructed/3-bpm_1.json.gz" : "synthetic/3-bpm_2.json.gz", `test_data/4-workout_${n}.json`],
  };
}

// One folder per test file for every temp home; the hook registers on the importing file's root suite.
const TEMP_ROOT = mkdtempSync(path.join(os.tmpdir(), "pulse-landing-"));
afterAll(() => rmSync(TEMP_ROOT, { recursive: true, force: true }));

export async function tempHome(): Promise<string> {
  return mkdtemp(path.join(TEMP_ROOT, "home-"));
}

/** Copies a reference file into `landing/<feed>/` (under `name` if given); returns the landed path. */
export async function landReference(home: string, feed: LandingFeed, file: string, name = path.basename(file)): Promise<string> {
  const target = path.join(homePaths(home).landing, feed, name);
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(path.join(REFERENCE, file), target);
  return target;
}

export async function landSet(home: string, n: 1 | 2): Promise<void> {
  for (const [feed, files] of Object.entries(referenceSet(n)) as [LandingFeed, string[]][]) {
    for (const file of files) await landReference(home, feed, file);
  }
}

/** Runs SQL on an in-memory DuckDB and returns JSON-friendly row objects (BIGINTs as strings). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `read_parquet(...)` over every committed batch of a bronze table in `home`. */
export function bronze(home: string, table: string): string {
  return bronzeFilesAsRead(table, `read_parquet('${path.join(homePaths(home).bronze, table)}/*.parquet', union_by_name = true)`);
}

export async function countRows(home: string, table: string, where = "true"): Promise<number> {
  const rows = await query(`SELECT count(*) AS n FROM ${bronze(home, table)} WHERE ${where}`);
  return Number(rows[0]?.n);
}

/** Writes `content` as `landing/<feed>/<name>`; returns the landed path. */
export async function land(home: string, feed: string, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(homePaths(home).landing, feed, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** One Kafka envelope line (a bpm reading unless `fields` say otherwise). */
export const envelope = (fields: Record<string, unknown>) =>
  JSON.stringify({ key: "k", value: JSON.stringify({ device_id: 1, time: 1678410000, heartrate: 60 }), topic: "bpm", partition: 0, offset: 1, timestamp: 1678410000, ...fields });

/** The committed batch files of a bronze table, sorted. */
export async function lakeFiles(home: string, table: string): Promise<string[]> {
  return (await readdir(path.join(homePaths(home).bronze, table))).filter((f) => f !== "_empty.parquet").sort();
}
