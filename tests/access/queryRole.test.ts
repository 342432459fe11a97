import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { REFERENCE } from "../referenceData.js";
import { pulse } from "../runner/helpers.js";

// The reference set's registrations, profiles (names, addresses, dates of birth) and gym visits, ingested and run
// once: the real project, the real CLI, the real warehouse file.
let home: string;
beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-access-"));
  const testData = path.join(REFERENCE, "test_data");
  const landed = { registered_users: "1-registered_users_1.csv", gym_logins: "5-gym_logins_1.csv", kafka_multiplex: "2-user_info_1.json" };
  for (const [feed, file] of Object.entries(landed)) {
    const target = path.join(home, "landing", feed, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(testData, file), target);
    // Older than the landing loader's settle time, so it loads them at once.
    fs.utimesSync(target, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  }
  for (const args of [
    ["ingest", "--source", "landing", "--once"],
    ["run", "--vars", "as_of_date=2024-01-01"],
  ]) {
    const result = await pulse([...args, "--home", home]);
    if (result.code !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  }
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const query = (role: string | undefined, sql: string, ...flags: string[]) => pulse(["query", "--home", home, "--format", "json", ...(role ? ["--role", role] : []), ...flags, sql]);
const rows = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>[];
const SHA256_HEX = /^[0-9a-f]{64}$/;

describe("pulse query --role", () => {
  it("refuses an analyst reading bronze, wherever the table hides in the SQL, with exit 1, the table and the role, and no rows", async () => {
    for (const sql of [
      "select * from bronze.gym_logins",
      "select count(*) from silver.users where mac_address in (select mac_address from bronze.gym_logins)",
      "with raw as (select * from bronze.registered_users) select count(*) from raw",
      "select 1 as ok; select * from bronze.kafka_multiplex",
    ]) {
      const result = await query("analyst", sql);
      expect(result.code, sql).toBe(1);
      expect(result.stdout, sql).toBe("");
      expect(result.stderr, sql).toMatch(/query refused: role analyst \(environment dev\) may not read bronze\.(gym_logins|registered_users|kafka_multiplex)/);
    }
  });

  it("serves an analyst silver.user_profile with names and street addresses hashed and dates of birth nulled", async () => {
    const clear = rows((await query("data_engineer", "select * from silver.user_profile order by user_id")).stdout);
    const masked = rows((await query("analyst", "select * from silver.user_profile order by user_id")).stdout);
    expect(masked.length).toBe(clear.length);
    expect(masked.length).toBeGreaterThan(0);
    for (const [index, row] of masked.entries()) {
      const original = clear[index]!;
      expect(row.user_id).toBe(original.user_id);
      expect(row.city).toBe(original.city);
      expect(row.dob).toBeNull();
      for (const column of ["first_name", "last_name", "street_address"]) {
        expect(row[column]).toMatch(SHA256_HEX);
        expect(row[column]).not.toBe(original[column]);
      }
    }
    // The data engineer, in dev, sees the values as loaded.
    expect(clear.some((r) => typeof r.first_name === "string" && !SHA256_HEX.test(r.first_name) && r.dob !== null)).toBe(true);
    // gold: the device MAC is hashed too (it is tagged in gold.gym_summary as well).
    const gym = rows((await query("analyst", "select mac_address from gold.gym_summary")).stdout);
    for (const row of gym) expect(row.mac_address).toMatch(SHA256_HEX);
  });

  it("leaves PII out for a data scientist, and refuses naming a PII column", async () => {
    const result = await query("data_scientist", "select * from silver.user_profile limit 1");
    expect(result.code).toBe(0);
    expect(Object.keys(rows(result.stdout)[0]!)).toEqual(["user_id", "sex", "gender", "city", "state", "zip", "updated"]);
    const named = await query("data_scientist", "select user_id, first_name from silver.user_profile");
    expect(named.code).toBe(1);
    expect(named.stderr).toContain("role data_scientist (environment dev) may not read PII column silver.user_profile.first_name");
  });

  it("lets the auditor read pulse_meta.audit_log and nothing else", async () => {
    const audit = await query("auditor", "select * from pulse_meta.audit_log");
    expect(audit.code).toBe(0);
    expect(rows(audit.stdout).length).toBeGreaterThan(0);
    for (const sql of ["select * from silver.users", "select * from pulse_meta.runs", "select * from gold.gym_summary"]) {
      const refused = await query("auditor", sql);
      expect(refused.code, sql).toBe(1);
      expect(refused.stderr, sql).toMatch(/role auditor \(environment dev\) may not read /);
    }
  });

  it("refuses what would step around the views: catalog names, file readers, writes by a read-only role, EXPLAIN", async () => {
    const cases: [string, string[], RegExp][] = [
      ["select * from pulse.silver.user_profile", [], /names a catalog/],
      [`select * from read_parquet('${homePaths(home).bronze}/gym_logins/*.parquet')`, [], /may not call table functions \(read_parquet\)/],
      ["select * from 'lake/bronze/gym_logins/x.parquet'", [], /has no dataset/],
      ["delete from silver.users", ["--write"], /role analyst \(environment dev\) is read-only: --write refused/],
      ["explain select * from silver.users", [], /may run SELECT statements only/],
    ];
    for (const [sql, flags, message] of cases) {
      const result = await query("analyst", sql, ...flags);
      expect(result.code, sql).toBe(1);
      expect(result.stderr, sql).toMatch(message);
    }
    const users = await query(undefined, "select count(*) as n from silver.users");
    expect(rows(users.stdout)[0]!.n).toBeGreaterThan(0);
  });

  it("names the allowed roles for an unknown one", async () => {
    const result = await query("intern", "select 1");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown role 'intern' (allowed: data_engineer, analyst, data_scientist, auditor, ingest_service)");
  });

  it("records every query and the run in pulse_meta.audit_log: when, role, environment, statement hash, tables, allowed or refused", async () => {
    const sql = "select count(*) from silver.gym_logs";
    await query("analyst", sql);
    await query("analyst", "select * from bronze.gym_logins");
    const log = rows((await query("auditor", "select * from pulse_meta.audit_log order by logged_at")).stdout);
    const run = log.find((r) => r.kind === "run");
    expect(run).toMatchObject({ environment: "dev", allowed: true });
    // pulse query prints a list as DuckDB writes it: ['a', 'b'].
    expect(String(run!.tables_read)).toContain("'bronze.registered_users'");
    const allowed = log.find((r) => r.role === "analyst" && String(r.tables_read) === "['silver.gym_logs']");
    expect(allowed).toMatchObject({ kind: "query", environment: "dev", allowed: true, reason: null });
    expect(allowed!.statement_hash).toMatch(SHA256_HEX);
    const refused = log.filter((r) => r.role === "analyst" && r.allowed === false && String(r.tables_read) === "['bronze.gym_logins']");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.reason).toContain("may not read bronze.gym_logins");
    expect(Date.parse(String(log.at(-1)!.logged_at))).toBeGreaterThan(Date.now() - 600_000);
    // The audit file is its owner's alone, like everything in the home.
    expect(fs.statSync(homePaths(home).auditLog).mode & 0o077).toBe(0);
  });
});
