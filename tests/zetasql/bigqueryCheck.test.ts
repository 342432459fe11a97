import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { makeCompilableByOfficialCli } from "../../bench/runnerProjects.js";
import { ensureZetaSqlTool } from "../../runner/check/zetasqlTool.js";
import { pulse, REPO } from "../runner/helpers.js";

// The analyzer is built once per source hash (a few minutes on a fresh machine: Maven fetches ZetaSQL), so
// the build happens here, under the hook timeout, and the tests time only the check itself.
beforeAll(async () => {
  await ensureZetaSqlTool((line) => process.stderr.write(`${line}\n`));
}, 900_000);

it("every statement pulse and the official CLI send to BigQuery for this project passes ZetaSQL's BigQuery analysis", async () => {
  const result = await pulse(["compile", "--check", "bigquery", "--project", REPO]);
  expect(result.stdout + result.stderr).toMatch(/no errors\./);
  expect(result.code).toBe(0);
  // All four forms were analysed, the official CLI's first and incremental runs among them.
  for (const form of ["pulse full refresh", "pulse incremental", "dataform CLI first run", "dataform CLI incremental run"]) {
    expect(result.stdout).toMatch(new RegExp(`${form} [1-9]\\d*`));
  }
  // And the access policy's DCL (pulse grants plan) of every environment.
  for (const env of ["dev", "qa", "prod"]) expect(result.stdout).toMatch(new RegExp(`access DCL \\(${env}\\) [1-9]\\d*`));
}, 600_000);

it("a DuckDB-only function fails the check with its file, line and column, and its dependents are not analysed", async () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-zetasql-"));
  fs.cpSync(path.join(REPO, "tests", "fixtures", "zetasql-broken"), project, { recursive: true });
  makeCompilableByOfficialCli(project);
  try {
    const result = await pulse(["compile", "--check", "bigquery", "--project", project]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "definitions/registrations.sqlx:8:3: fixture.silver.registrations [pulse full refresh, create table]: Function not found: epoch_ms (line 4, column 3 of the compiled statement)",
    );
    expect(result.stdout).toContain("not analysed: fixture.silver.recent_registrations [pulse full refresh]");
    expect(result.stdout).toMatch(/: 1 error\(s\)\./);
    // The incremental table that is valid BigQuery passed in every form, the official MERGE included.
    expect(result.stdout).not.toMatch(/fixture\.silver\.users \[/);
    expect(result.stdout).toMatch(/dataform CLI incremental run [1-9]/);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}, 600_000);

it("--env checks the statements of that environment's BigQuery mapping, in pulse's plans and the official CLI's SQL", async () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-zetasql-env-"));
  fs.cpSync(path.join(REPO, "tests", "fixtures", "zetasql-broken"), project, { recursive: true });
  makeCompilableByOfficialCli(project);
  fs.writeFileSync(
    path.join(project, "environments.yaml"),
    "environments:\n  dev:\n    developerWrites: true\n  qa:\n    developerWrites: true\n    bigquery:\n      schemaSuffix: qa\n      tablePrefix: p\n",
  );
  try {
    const result = await pulse(["compile", "--check", "bigquery", "--env", "qa", "--project", project]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("definitions/registrations.sqlx:8:3: fixture.silver_qa.p_registrations [pulse full refresh, create table]: Function not found: epoch_ms");
    expect(result.stdout).toContain("not analysed: fixture.silver_qa.p_recent_registrations [pulse full refresh]");
    // The official CLI got the same mapping: its statements are matched to pulse's actions by these names.
    expect(result.stdout).toMatch(/dataform CLI first run [1-9]/);
    expect(result.stdout).toMatch(/dataform CLI incremental run [1-9]/);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}, 600_000);

it("rejects an unknown --check value", async () => {
  const result = await pulse(["compile", "--check", "snowflake"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("argument 'snowflake' is invalid. Allowed choices are bigquery");
});
