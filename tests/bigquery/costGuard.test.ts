import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import type { BigQueryClientLike, JobMetadata } from "../../runner/adapters/bigquery/bigqueryClient.js";
import { runProject } from "../../runner/runProject.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { startPrivateEmulator, type PrivateEmulator } from "./privateEmulator.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;
const PROJECT = path.resolve(import.meta.dirname, "../..");

let emulator: PrivateEmulator;
let bigquery: BigQuery;

beforeAll(async () => {
  emulator = await startPrivateEmulator();
  avoidMetadataServerProbe();
  bigquery = new BigQuery({ projectId: GCP, apiEndpoint: emulator.host });
});

afterAll(async () => {
  await emulator?.stop();
});

function pulse(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(PROJECT, "dist", "cli", "main.js"), ...args], {
    cwd: PROJECT,
    env: { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A project of two actions: a table, and an operation that scans one of its columns. The emulator computes
 * dry-run bytes only for queries that read tables directly (not for DDL, DML or reads through views:
 * docs/bigquery.md), so the guarded statement is a plain SELECT.
 */
function writeProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-cost-guard-"));
  fs.mkdirSync(path.join(dir, "definitions"));
  fs.writeFileSync(path.join(dir, "workflow_settings.yaml"), `defaultProject: ${GCP}\ndefaultLocation: US\ndefaultDataset: guard\ndefaultAssertionDataset: guard_assertions\n`);
  fs.writeFileSync(path.join(dir, "definitions", "numbers.sqlx"), `config { type: "table" }\nSELECT x, CAST(x AS STRING) AS s FROM UNNEST(GENERATE_ARRAY(1, 1000)) AS x\n`);
  fs.writeFileSync(path.join(dir, "definitions", "scan.sqlx"), `config { type: "operations" }\nSELECT s FROM \${ref("numbers")}\n`);
  return dir;
}

describe("cost guard on the BigQuery emulator", { timeout: 400_000 }, () => {
  it("--dry-run prints each action's bytes from dry-run jobs and the total; --maximum-bytes-billed refuses an action over it before it runs", async () => {
    const project = writeProject();
    const onBigQuery = ["run", "--warehouse", "bigquery", "--gcp-project", GCP, "--project", project];
    try {
      const build = pulse(...onBigQuery, "--actions", "numbers");
      expect(build.status, build.stderr).toBe(0);

      const dry = pulse(...onBigQuery, "--dry-run", "--actions", "scan");
      expect(dry.status, dry.stderr).toBe(0);
      // What the same SELECT costs by the API's own dry run: the figure pulse must print.
      const [, metadata] = await bigquery.createQueryJob({ query: `SELECT s FROM \`${GCP}.guard.numbers\``, dryRun: true });
      const bytes = Number(metadata!.statistics!.totalBytesProcessed);
      expect(bytes).toBeGreaterThan(0);
      const shown = bytes.toLocaleString("en-US");
      expect(dry.stdout).toMatch(new RegExp(`^  ${shown} bytes.*  ${GCP}\\.guard\\.scan$`, "m"));
      expect(dry.stdout).toMatch(new RegExp(`^total: ${shown} bytes`, "m"));

      const refused = pulse(...onBigQuery, "--actions", "scan", "--maximum-bytes-billed", String(bytes - 1));
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`FAILED ${GCP}.guard.scan: refused before running: this statement would process ${shown} bytes`);
      expect(refused.stderr).toContain(`over --maximum-bytes-billed ${(bytes - 1).toLocaleString("en-US")} bytes`);
      expect(refused.stderr).not.toMatch(/\n\s+at /);

      const allowed = pulse(...onBigQuery, "--actions", "scan", "--maximum-bytes-billed", String(bytes));
      expect(allowed.status, allowed.stderr).toBe(0);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("cost guard at the client boundary (statements the emulator gives no bytes for)", () => {
  /**
   * The emulator's dry runs report no bytes for DDL and DML (docs/bigquery.md); real BigQuery does. This double
   * answers every dry run with 5,000 bytes, to show a table action is refused before its CREATE is sent.
   */
  function billingClient() {
    const sent: { query: string; dryRun: boolean; maximumBytesBilled?: string }[] = [];
    const client: BigQueryClientLike = {
      async createQueryJob(options) {
        const job = { query: String(options.query), dryRun: options.dryRun === true, maximumBytesBilled: options.maximumBytesBilled as string | undefined };
        sent.push(job);
        const metadata: JobMetadata = { statistics: job.dryRun ? { totalBytesProcessed: "5000", query: { schema: { fields: [] } } } : {} };
        return [{ getQueryResults: async () => [[{ row_count: 0 }]], getMetadata: async () => [metadata] }, metadata];
      },
      dataset: () => ({
        get: async () => [],
        table: () => ({
          getMetadata: async () => {
            throw Object.assign(new Error("Not found"), { code: 404 });
          },
        }),
      }),
    };
    return { client, sent };
  }

  const request = (client: BigQueryClientLike, maximumBytesBilled: number) => ({
    projectDir: PROJECT,
    home: PROJECT,
    target: { warehouse: "bigquery" as const, projectId: "acme", client, maximumBytesBilled },
    selection: { tags: [], tagsAll: [], actions: ["silver.date_lookup"], includeDependencies: false, includeDependents: false },
    vars: {},
    fullRefresh: false,
    dryRun: false,
    command: "pulse run --warehouse bigquery",
  });

  it("refuses a table whose CREATE would process more than the limit, sending no job but dry runs", async () => {
    const { client, sent } = billingClient();
    const { summary } = await runProject(request(client, 4999));
    expect(summary.results[0]).toMatchObject({ status: "failed", error: expect.stringContaining("would process 5,000 bytes (5.0 KB), over --maximum-bytes-billed 4,999 bytes") });
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((j) => j.dryRun)).toBe(true);
  });

  it("runs within the limit, with the limit set on every job", async () => {
    const { client, sent } = billingClient();
    const { summary } = await runProject(request(client, 5000));
    expect(summary.results[0]!.status).toBe("success");
    const jobs = sent.filter((j) => !j.dryRun);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.maximumBytesBilled === "5000")).toBe(true);
  });
});
