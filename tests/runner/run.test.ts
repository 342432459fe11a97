import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE, homeAfterFirstRun, parseRun, pulse, query, runFixture, seedUsers, statuses, tempDir } from "./helpers.js";

const events = (home: string, table: string) => query(home, `select event_id, batch, label from core.${table} order by event_id`);

describe("pulse run on the fixture project", () => {
  it("builds, appends, merges, reruns idempotently and full-refreshes around a protected table", async () => {
    const home = await homeAfterFirstRun();

    // First run: every action type built from batch 1.
    expect(await query(home, "select count(*) as n, min(batch) as lo, max(batch) as hi from raw.events")).toEqual([{ n: 4, lo: 1, hi: 1 }]);
    expect((await events(home, "events_append")).map((r) => r.event_id)).toEqual([11, 12, 13, 14]);
    expect(await query(home, "select * from core.user_latest order by user_id")).toEqual([
      { user_id: 1, last_event_id: 14, last_amount: 104, batch: 1 },
      { user_id: 2, last_event_id: 12, last_amount: 102, batch: 1 },
      { user_id: 3, last_event_id: 13, last_amount: 103, batch: 1 },
    ]);
    expect(await query(home, "select * from core.user_names order by user_id")).toEqual([
      { user_id: 1, name: "ann", last_amount: 104 },
      { user_id: 2, name: "bob", last_amount: 102 },
      { user_id: 3, name: "cy", last_amount: 103 },
    ]);
    expect(await query(home, "select table_type from information_schema.tables where table_schema = 'core' and table_name = 'big_spenders'")).toEqual([{ table_type: "VIEW" }]);
    expect(await query(home, "select count(*) as n from information_schema.tables where table_name = 'retired'")).toEqual([{ n: 0 }]);
    expect(await query(home, "select * from core.after_gate_view")).toEqual([{ users: 3 }]);
    // Pre/post operations ran around their tables; the two-statement operation ran both statements.
    expect(await query(home, "select action, step from core.audit order by action, step")).toEqual([
      { action: "events_append", step: "post" },
      { action: "events_append", step: "pre" },
      { action: "note_run", step: "first" },
      { action: "note_run", step: "second" },
      { action: "user_names", step: "post" },
      { action: "user_names", step: "pre" },
    ]);

    // Incremental run with batch 2: append adds rows, merge updates by key, incremental pre/post operations run.
    const second = parseRun(await runFixture(home, "--vars", "batch=2", "--json"));
    expect(Object.values(statuses(second)).filter((s) => s !== "success" && s !== "disabled")).toEqual([]);
    const byName = Object.fromEntries(second.actions.map((a) => [a.name, a]));
    expect(byName["fixture.core.events_append"]).toMatchObject({ mode: "incremental", rows: 4 });
    expect(byName["fixture.core.user_latest"]).toMatchObject({ mode: "incremental", rows: 3 });
    expect((await events(home, "events_append")).map((r) => r.event_id)).toEqual([11, 12, 13, 14, 21, 22, 23, 24]);
    expect(await query(home, "select user_id, last_event_id, batch from core.user_latest order by user_id")).toEqual([
      { user_id: 1, last_event_id: 24, batch: 2 },
      { user_id: 2, last_event_id: 22, batch: 2 },
      { user_id: 3, last_event_id: 23, batch: 2 },
    ]);
    expect(await query(home, "select step from core.audit where action = 'events_append' and step like 'incremental%' order by step")).toEqual([
      { step: "incremental post" },
      { step: "incremental pre" },
    ]);
    expect(await query(home, "select * from core.big_spenders order by user_id")).toEqual([
      { user_id: 1, name: "ann", last_amount: 204 },
      { user_id: 2, name: "bob", last_amount: 202 },
      { user_id: 3, name: "cy", last_amount: 203 },
    ]);

    // Rerun with no new data: incremental tables write nothing and keep their contents.
    const snapshot = async () => ({
      append: await events(home, "events_append"),
      latest: await query(home, "select * from core.user_latest order by user_id"),
      log: await events(home, "protected_log"),
    });
    const before = await snapshot();
    const rerun = parseRun(await runFixture(home, "--vars", "batch=2", "--json"));
    for (const name of ["fixture.core.events_append", "fixture.core.user_latest", "fixture.core.protected_log"]) {
      expect(rerun.actions.find((a) => a.name === name)).toMatchObject({ status: "success", mode: "incremental", rows: 0 });
    }
    expect(await snapshot()).toEqual(before);

    // Full refresh with a new label: incrementals are rebuilt from scratch, the protected one is only appended to.
    const refresh = parseRun(await runFixture(home, "--vars", "batch=3,label=b", "--full-refresh", "--json"));
    expect(refresh.actions.find((a) => a.name === "fixture.core.events_append")).toMatchObject({ mode: "full-refresh", rows: 12 });
    expect(refresh.actions.find((a) => a.name === "fixture.core.protected_log")).toMatchObject({ mode: "incremental", rows: 4 });
    expect(new Set((await events(home, "events_append")).map((r) => r.label))).toEqual(new Set(["b"]));
    const log = await events(home, "protected_log");
    expect(log.filter((r) => r.label === "a").map((r) => r.event_id)).toEqual([11, 12, 13, 14, 21, 22, 23, 24]);
    expect(log.filter((r) => r.label === "b").map((r) => r.event_id)).toEqual([31, 32, 33, 34]);
  });

  it("fails a failing assertion, skips its dependents transitively and exits non-zero", async () => {
    const home = await homeAfterFirstRun();
    const result = await runFixture(home, "--vars", "batch=2,fail_gate=yes");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED fixture\.checks\.gate: assertion failed: fixture\.checks\.gate returned rows \(3 rows\)/);
    expect(result.stderr).toContain("skipped fixture.core.after_gate_view: dependency fixture.core.after_gate did not succeed");
    expect(result.stdout).toMatch(/Run FAILED: .* 1 failed, 2 skipped/);
    // The skipped table keeps its first-run contents; independent actions still ran.
    expect(await query(home, "select * from core.after_gate")).toEqual([{ users: 3 }]);
    expect(await query(home, "select max(batch) as b from core.events_append")).toEqual([{ b: 2 }]);

    const runs = await query(home, "select status, failed, skipped from pulse_meta.runs order by started_at");
    expect(runs).toEqual([
      { status: "success", failed: 0, skipped: 0 },
      { status: "failed", failed: 1, skipped: 2 },
    ]);
    const results = await query(
      home,
      `select r.action, r.status, r.skipped_because, r.error from pulse_meta.action_results as r join pulse_meta.runs as u using (run_id)
       where u.status = 'failed' and r.status <> 'success' order by r.action`,
    );
    expect(results).toEqual([
      expect.objectContaining({ action: "fixture.checks.gate", status: "failed", skipped_because: null }),
      { action: "fixture.core.after_gate", status: "skipped", skipped_because: "fixture.checks.gate", error: null },
      { action: "fixture.core.after_gate_view", status: "skipped", skipped_because: "fixture.core.after_gate", error: null },
      { action: "fixture.core.retired", status: "disabled", skipped_because: null, error: null },
    ]);
  });

  it("records every run and action result in pulse_meta", async () => {
    const home = await homeAfterFirstRun("--tags", "raw");
    await runFixture(home, "--actions", "events_append", "--include-deps");
    const runs = await query(home, "select command, status, actions, succeeded, full_refresh from pulse_meta.runs order by started_at");
    expect(runs).toEqual([
      { command: expect.stringContaining("--tags raw"), status: "success", actions: 1, succeeded: 1, full_refresh: false },
      { command: expect.stringContaining("--actions events_append --include-deps"), status: "success", actions: 4, succeeded: 4, full_refresh: false },
    ]);
    const actions = await query(home, "select action, type, mode, status, rows from pulse_meta.action_results order by action, rows desc");
    expect(actions).toEqual([
      { action: "fixture.checks.core_events_append_assertions_rowConditions", type: "assertion", mode: null, status: "success", rows: 0 },
      { action: "fixture.core.audit", type: "operations", mode: null, status: "success", rows: 0 },
      { action: "fixture.core.events_append", type: "incremental", mode: "create", status: "success", rows: 4 },
      { action: "fixture.raw.events", type: "operations", mode: null, status: "success", rows: 4 },
      { action: "fixture.raw.events", type: "operations", mode: null, status: "success", rows: 0 },
    ]);
  });

  it("fails a MERGE whose batch has several rows for one existing key, as BigQuery does", async () => {
    const home = await homeAfterFirstRun();
    const result = await runFixture(home, "--vars", "batch=2,dedupe=off", "--actions", "user_latest", "--include-deps", "--json");
    expect(result.code).toBe(1);
    const latest = parseRun(result).actions.find((a) => a.name === "fixture.core.user_latest")!;
    expect(latest.status).toBe("failed");
    expect(latest.error).toMatch(/must match at most one source row for each target row.*uniqueKey \(user_id\).*"user_id":1,"batch_rows":2/);
    // Nothing was merged.
    expect(await query(home, "select max(batch) as b, count(*) as n from core.user_latest")).toEqual([{ b: 1, n: 3 }]);
  });

  it("runs an incremental action in one transaction: a failing post-operation undoes its pre-operation and batch", async () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    // Appended without uniqueKey, as pulse's DuckDB tables whose own operations delete the rows a batch replaces.
    fs.writeFileSync(
      path.join(project, "definitions", "core", "append_then_fix.sqlx"),
      `config { type: "incremental", tags: ["core"] }
pre_operations { \${when(incremental(), \`DELETE FROM \${self()} WHERE event_id = 11\`)} }
SELECT event_id, amount, batch FROM \${ref("raw", "events")}
\${when(incremental(), \`WHERE \${fx.newerBatches(self())}\`)}
post_operations { \${when(incremental(), "SELECT error('post-operation failed on purpose')")} }
`,
    );
    const home = path.join(tempDir(), "home");
    await seedUsers(home);
    const runProject = (...args: string[]) => pulse(["run", "--project", project, "--home", home, "--json", ...args]);
    expect((await runProject()).code).toBe(0);
    const rows = () => query(home, "select event_id, batch from core.append_then_fix order by event_id");
    const before = await rows();
    expect(before.map((r) => r.event_id)).toEqual([11, 12, 13, 14]);

    const second = await runProject("--vars", "batch=2");
    expect(second.code).toBe(1);
    const result = parseRun(second);
    expect(result.actions.find((a) => a.name === "fixture.core.append_then_fix")).toMatchObject({ status: "failed", error: expect.stringMatching(/post-operation failed on purpose/) });
    // Neither the pre-operation's delete nor the appended batch 2 stayed.
    expect(await rows()).toEqual(before);
    // Actions after it on the same connections ran as usual: the failed transaction was rolled back.
    const others = Object.entries(statuses(result)).filter(([name]) => name !== "fixture.core.append_then_fix");
    expect(others.filter(([, status]) => status !== "success" && status !== "disabled")).toEqual([]);
    expect((await query(home, "select max(batch) as b from core.events_append"))[0]).toEqual({ b: 2 });
  });

  it("runs a table's built-in assertions with it: duplicate keys from a first build fail uniqueKey", async () => {
    const home = path.join(tempDir(), "home");
    await seedUsers(home);
    // The first build is a CREATE TABLE AS (no MERGE), so user 1's two rows are kept and the assertion catches them.
    const result = parseRun(await runFixture(home, "--vars", "dedupe=off", "--actions", "user_latest", "--include-deps", "--json"));
    expect(statuses(result)).toEqual({
      "fixture.raw.events": "success",
      "fixture.core.user_latest": "success",
      "fixture.checks.core_user_latest_assertions_uniqueKey_0": "failed",
      "fixture.checks.core_user_latest_assertions_rowConditions": "success",
    });
    expect(result.actions.find((a) => a.status === "failed")?.error).toMatch(/returned rows \(1 row\)/);
    expect(await query(home, "select count(*) as n from core.user_latest where user_id = 1")).toEqual([{ n: 2 }]);
  });

  it("reports a missing declared source by name and skips what depends on it", async () => {
    const home = path.join(tempDir(), "home");
    const result = await runFixture(home, "--actions", "user_names", "--include-dependents");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("FAILED fixture.core.user_names: declared source fixture.raw.users does not exist (declared in definitions/raw/users.sqlx)");
    expect(result.stderr).toContain("skipped fixture.core.big_spenders");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("finds a declared source that an upstream operation creates during the run", async () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    fs.writeFileSync(
      path.join(project, "definitions", "raw", "load_users.sqlx"),
      "config { type: \"operations\" }\nCREATE SCHEMA IF NOT EXISTS raw\n---\nCREATE TABLE `fixture.raw.users` AS SELECT 1 AS user_id, 'ann' AS name\n",
    );
    const userNames = path.join(project, "definitions", "core", "user_names.sqlx");
    fs.writeFileSync(userNames, fs.readFileSync(userNames, "utf8").replace('tags: ["core", "daily"],', 'tags: ["core", "daily"],\n  dependencies: ["load_users"],'));
    const home = path.join(tempDir(), "home");
    const result = await pulse(["run", "--project", project, "--home", home, "--actions", "user_names", "--include-deps"]);
    expect(result.code, result.stderr).toBe(0);
    expect(await query(home, "select user_id, name, last_amount from core.user_names")).toEqual([{ user_id: 1, name: "ann", last_amount: 104 }]);
  });

  it("applies onSchemaChange FAIL, EXTEND, SYNCHRONIZE and IGNORE when the incremental query's columns change", async () => {
    const home = path.join(tempDir(), "home");
    const run = (vars: string) => runFixture(home, "--tags", "schema", "--include-deps", "--vars", vars, "--json").then(parseRun);
    const columns = async (table: string) =>
      (await query(home, `select column_name from information_schema.columns where table_name = '${table}' order by ordinal_position`)).map((r) => r.column_name);
    const rows = (table: string) => query(home, `select * from core.${table} order by event_id`).then((r) => r.map((row) => Object.values(row)));

    expect(Object.values(statuses(await run("batch=1,shape=v1")))).toEqual(Array(5).fill("success"));

    // v2 adds column doubled.
    const v2 = await run("batch=2,shape=v2");
    expect(v2.actions.find((a) => a.name === "fixture.core.schema_fail")).toMatchObject({ status: "failed", error: expect.stringMatching(/onSchemaChange FAIL.*new column\(s\) doubled/) });
    expect(statuses(v2)).toMatchObject({ "fixture.core.schema_extend": "success", "fixture.core.schema_synchronize": "success", "fixture.core.schema_ignore": "success" });
    expect(await columns("schema_fail")).toEqual(["event_id", "batch", "amount"]);
    expect(await columns("schema_ignore")).toEqual(["event_id", "batch", "amount"]);
    expect(await columns("schema_extend")).toEqual(["event_id", "batch", "amount", "doubled"]);
    expect((await rows("schema_extend")).slice(3)).toEqual([
      [14, 1, 104, null],
      [21, 2, 201, 402],
      [22, 2, 202, 404],
      [23, 2, 203, 406],
      [24, 2, 204, 408],
    ]);
    expect((await rows("schema_ignore")).slice(4)).toEqual([
      [21, 2, 201],
      [22, 2, 202],
      [23, 2, 203],
      [24, 2, 204],
    ]);

    // v3 also drops amount: EXTEND refuses (as on BigQuery), SYNCHRONIZE drops it, IGNORE leaves it empty.
    const v3 = await run("batch=3,shape=v3");
    expect(v3.actions.find((a) => a.name === "fixture.core.schema_extend")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/EXTEND does not allow column removals: missing column\(s\) amount/),
    });
    expect(statuses(v3)).toMatchObject({ "fixture.core.schema_fail": "failed", "fixture.core.schema_synchronize": "success", "fixture.core.schema_ignore": "success" });
    expect(await columns("schema_synchronize")).toEqual(["event_id", "batch", "doubled"]);
    expect((await rows("schema_synchronize")).slice(-5)).toEqual([
      [24, 2, 408],
      [31, 3, 602],
      [32, 3, 604],
      [33, 3, 606],
      [34, 3, 608],
    ]);
    expect(await query(home, "select count(*) as n, count(amount) as with_amount from core.schema_ignore where batch = 3")).toEqual([{ n: 4, with_amount: 0 }]);
    expect(await query(home, "select max(batch) as b from core.schema_extend")).toEqual([{ b: 2 }]);
  });

  it("dry run prints every action's SQL and creates nothing: no warehouse, no schemas, no run history", async () => {
    const home = path.join(tempDir(), "home");
    const fresh = await runFixture(home, "--dry-run");
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain('create or replace table "fixture"."core"."events_append" as');
    expect(fresh.stdout).toContain('CREATE TABLE IF NOT EXISTS "fixture"."raw"."events"');
    expect(fresh.stdout).toMatch(/Dry run planned: 20 action\(s\): 19 succeeded, 0 failed, 0 skipped, 1 disabled/);
    expect(fs.existsSync(home)).toBe(false);

    // On an existing warehouse: plans incrementally (and shows the merge) but changes nothing.
    const built = await homeAfterFirstRun();
    const files = () => fs.readdirSync(built).sort();
    const state = async () => ({
      tables: await query(built, "select table_schema, table_name from information_schema.tables order by all"),
      events: await query(built, "select count(*) as n from raw.events"),
      runs: await query(built, "select count(*) as n from pulse_meta.runs"),
      audit: await query(built, "select count(*) as n from core.audit"),
    });
    const before = { files: files(), state: await state() };
    const dry = parseRun(await runFixture(built, "--dry-run", "--json", "--vars", "batch=2,shape=v2"));
    expect(dry.dryRun).toBe(true);
    const latest = dry.actions.find((a) => a.name === "fixture.core.user_latest")!;
    expect(latest.mode).toBe("incremental");
    expect(latest.plan?.steps.map((s) => s.label)).toEqual(["stage incremental batch", "merge key check", "merge", "drop staged batch"]);
    expect({ files: files(), state: await state() }).toEqual(before);
  });
});
