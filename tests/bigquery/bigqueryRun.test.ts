import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BigQueryClientLike, JobMetadata, TableMetadata } from "../../runner/adapters/bigquery/bigqueryClient.js";
import { runProject } from "../../runner/runProject.js";

const PROJECT = path.resolve(import.meta.dirname, "../..");

interface SentJob {
  query: string;
  dryRun: boolean;
  createSession: boolean;
  sessionId?: string;
  location?: string;
}

/**
 * A recording stand-in for @google-cloud/bigquery at the client boundary: it keeps the tables that exist,
 * answers metadata lookups, gives every session-creating job a session id, and records every job.
 */
function recordingClient(existing: Record<string, TableMetadata>, queryColumns: { name: string; type: string }[] = []) {
  const jobs: SentJob[] = [];
  const datasets: string[] = [];
  let sessions = 0;
  const client: BigQueryClientLike = {
    async createQueryJob(options) {
      const connection = (options.connectionProperties as { key: string; value: string }[] | undefined)?.find((p) => p.key === "session_id");
      const sent: SentJob = {
        query: String(options.query),
        dryRun: options.dryRun === true,
        createSession: options.createSession === true,
        sessionId: connection?.value,
        location: options.location as string | undefined,
      };
      jobs.push(sent);
      const metadata: JobMetadata = {
        statistics: {
          sessionInfo: sent.createSession ? { sessionId: `session-${++sessions}` } : undefined,
          query: { numDmlAffectedRows: /^merge|^insert/i.test(sent.query) ? "7" : undefined, schema: sent.dryRun ? { fields: queryColumns } : undefined },
        },
      };
      return [
        {
          async getQueryResults() {
            return [/count\(\*\) as row_count/i.test(sent.query) ? [{ row_count: 0 }] : []];
          },
          async getMetadata() {
            // As BigQuery answers jobs.get for a dry run: it never kept the job.
            if (sent.dryRun) throw Object.assign(new Error("Not found: Job"), { code: 404 });
            return [metadata];
          },
        },
        metadata,
      ];
    },
    dataset(id, options) {
      return {
        async get() {
          datasets.push(`${options?.projectId}.${id}`);
          return [];
        },
        table(name) {
          return {
            async getMetadata() {
              const found = existing[`${options?.projectId}.${id}.${name}`];
              if (!found) throw Object.assign(new Error("Not found"), { code: 404 });
              return [found];
            },
          };
        },
      };
    },
  };
  return { client, jobs, datasets };
}

const BRONZE: Record<string, TableMetadata> = Object.fromEntries(
  ["registered_users", "gym_logins", "kafka_multiplex", "dead_letters"].map((t) => [`acme-prod.bronze.${t}`, { type: "TABLE", schema: { fields: [] } }]),
);

describe("pulse run --warehouse bigquery, at the @google-cloud/bigquery boundary", () => {
  it("builds every silver and gold table with BigQuery SQL in the GCP project, one session per action", async () => {
    const { client, jobs, datasets } = recordingClient(BRONZE);
    const { summary } = await runProject({
      projectDir: PROJECT,
      home: "/nonexistent-home-not-used-by-bigquery",
      target: { warehouse: "bigquery", projectId: "acme-prod", location: "EU", client },
      selection: { tags: ["silver", "gold"] },
      vars: { as_of_date: "2023-06-01" },
      fullRefresh: false,
      dryRun: false,
      command: "test",
    });
    expect(summary.results.filter((r) => r.status !== "success")).toEqual([]);
    const creates = jobs.filter((j) => j.query.startsWith("create or replace table `acme-prod.silver.")).map((j) => j.query.split("\n")[0]);
    expect(creates).toContain("create or replace table `acme-prod.silver.heart_rate` as");
    expect(creates).toContain("create or replace table `acme-prod.silver.users` as");
    expect(jobs.some((j) => j.query.startsWith("create or replace view `acme-prod.gold.gym_summary` as"))).toBe(true);
    // Names are BigQuery's: no DuckDB quoting leaks into the SQL sent.
    expect(jobs.every((j) => !j.query.includes('"acme-prod"'))).toBe(true);
    expect(jobs.every((j) => j.location === "EU")).toBe(true);
    // Each action's first job opens a session; its later jobs reuse that session.
    const heartRate = jobs.findIndex((j) => j.query.startsWith("create or replace table `acme-prod.silver.heart_rate`"));
    expect(jobs[heartRate]!.createSession || jobs[heartRate]!.sessionId !== undefined).toBe(true);
    expect(datasets).toEqual(expect.arrayContaining(["acme-prod.silver", "acme-prod.gold", "acme-prod.assertions"]));
  });

  it("merges an existing incremental table through a session temp table, checking keys first", async () => {
    const columns = [
      { name: "device_id", type: "INT64" },
      { name: "time", type: "TIMESTAMP" },
      { name: "heartrate", type: "FLOAT64" },
    ];
    const existing = { ...BRONZE, "acme-prod.silver.heart_rate": { type: "TABLE", schema: { fields: columns } } };
    const { client, jobs } = recordingClient(existing, columns);
    const { summary } = await runProject({
      projectDir: PROJECT,
      home: "/nonexistent",
      target: { warehouse: "bigquery", projectId: "acme-prod", client },
      selection: { actions: ["silver.heart_rate"] },
      vars: {},
      fullRefresh: false,
      dryRun: false,
      command: "test",
    });
    const result = summary.results.find((r) => r.name === "acme-prod.silver.heart_rate")!;
    expect(result).toMatchObject({ status: "success", mode: "incremental", rows: 7 });
    const own = jobs.filter((j) => !j.dryRun && j.query.includes("__pulse_incremental_batch"));
    expect(own.map((j) => j.query.split("\n")[0])).toEqual([
      "create temp table __pulse_incremental_batch as",
      "select count(*) as row_count from (",
      "merge into `acme-prod.silver.heart_rate` as t",
      "drop table if exists __pulse_incremental_batch",
    ]);
    // The staging table exists only in the action's session: every later statement carries its id.
    expect(own[0]!.createSession).toBe(true);
    expect(new Set(own.slice(1).map((j) => j.sessionId))).toEqual(new Set(["session-1"]));
    expect(jobs.filter((j) => j.dryRun)).toHaveLength(1);
  });

  it("a dry run sends only dry-run jobs and metadata lookups", async () => {
    const { client, jobs, datasets } = recordingClient(BRONZE);
    const { summary } = await runProject({
      projectDir: PROJECT,
      home: "/nonexistent",
      target: { warehouse: "bigquery", projectId: "acme-prod", client },
      selection: { tags: ["silver"] },
      vars: {},
      fullRefresh: false,
      dryRun: true,
      command: "test",
    });
    expect(summary.results.length).toBeGreaterThan(5);
    expect(jobs.filter((j) => !j.dryRun)).toEqual([]);
    expect(datasets).toEqual([]);
  });
});
