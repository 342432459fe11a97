import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { startCli, waitFor } from "../ingest/helpers.js";
import { query } from "../landing/landingTestHome.js";
import { PROJECT, tempHome } from "../pipeline/pipelineHarness.js";
import { pulseCli as pulse } from "../pipeline/referenceChecks.js";
import { demoDatabase, sql } from "./postgresTestDb.js";

const CLI = path.join(PROJECT, "dist", "cli", "main.js");

/** The rows of a bronze table's committed lake files, read without the CLI (which a polling test races). */
async function lakeRows(home: string, table: string): Promise<Record<string, unknown>[]> {
  const files = (await readdir(path.join(homePaths(path.join(home, "dev")).bronze, table)).catch(() => [] as string[])).filter((f) => f !== "_empty.parquet");
  if (files.length === 0) return [];
  return query(`SELECT * FROM read_parquet([${files.map((f) => `'${path.join(homePaths(path.join(home, "dev")).bronze, table, f)}'`).join(", ")}])`);
}

/** `pulse --home home args…` without throwing: exit code and output, for the failure cases. */
function pulseResult(home: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", home], { cwd: PROJECT, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const rows = (home: string, query: string) => JSON.parse(pulse(home, "query", "--format", "json", query)) as Record<string, unknown>[];
const ingestOnce = (home: string, url: string, ...flags: string[]) => pulse(home, "ingest", "--source", "postgres", "--once", "--url", url, ...flags);

describe("pulse ingest --source postgres", () => {
  it("copies rows committed out of cursor order inside the overlap window, exactly once, and not those below it", async () => {
    const url = await demoDatabase("overlap");
    const home = tempHome();
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
    for (let i = 0; i < 10; i++) {
      await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, logout, updated_at) VALUES ($1, 1, $2, $3, $4)", [`m${i}`, 1000 + i, 2000 + i, at(i * 10)]);
    }
    ingestOnce(home, url, "--tables", "gym_logins", "--overlap", "60s");
    // Committed after the copy, with cursors below the highest copied (90 s): 50 s and 40 s are inside the 60 s
    // window, 20 s is not (a transaction open longer than the window is the documented limit).
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, updated_at) VALUES ('late1', 2, 3000, $1), ('late2', 2, 3001, $2), ('too-late', 2, 3002, $3)", [at(50), at(40), at(20)]);
    ingestOnce(home, url, "--tables", "gym_logins", "--overlap", "60s");
    const macs = rows(home, "select mac_address from bronze.gym_logins order by mac_address").map((r) => r.mac_address);
    expect(macs).toEqual(["late1", "late2", ...Array.from({ length: 10 }, (_, i) => `m${i}`)]);
    const twice = rows(home, "select count(*) as n from (select _source, _source_line from bronze.gym_logins group by all having count(*) > 1)");
    expect(twice).toEqual([{ n: 0 }]);
    // A third pass re-reads the window and writes nothing.
    ingestOnce(home, url, "--tables", "gym_logins", "--overlap", "60s");
    expect(rows(home, "select count(*) as n from bronze.gym_logins")).toEqual([{ n: 12 }]);
  });

  it("takes an integer cursor (the bigserial key) with an overlap in values", async () => {
    const url = await demoDatabase("serial");
    const home = tempHome();
    const add = (n: number) => sql(url, `INSERT INTO registered_users (user_id, device_id, mac_address, registration_timestamp) SELECT i, i, 'm' || i, 100 FROM generate_series(1, ${n}) AS i`);
    await add(3);
    ingestOnce(home, url, "--tables", "registered_users", "--cursor-column", "id", "--overlap-values", "2");
    await add(2);
    ingestOnce(home, url, "--tables", "registered_users", "--cursor-column", "id", "--overlap-values", "2");
    expect(rows(home, "select _source, _source_line from bronze.registered_users order by _source_line")).toEqual(
      [1, 2, 3, 4, 5].map((id) => ({ _source: `postgres:public.registered_users#${id}`, _source_line: id })),
    );
  });

  it("polls: rows inserted while it runs arrive, and SIGTERM stops it with exit 0", async () => {
    const url = await demoDatabase("poll");
    const home = tempHome();
    await sql(url, "INSERT INTO registered_users (user_id, device_id, mac_address, registration_timestamp) VALUES (1, 10, 'a', 100)");
    const ingest = startCli(["ingest", "--source", "postgres", "--url", url, "--interval", "200ms", "--home", home]);
    const count = async () => Number((await lakeRows(home, "registered_users")).length);
    await waitFor("the first row", async () => (await count()) === 1, 60_000, 200, ingest);
    await sql(url, "INSERT INTO registered_users (user_id, device_id, mac_address, registration_timestamp) VALUES (2, 20, 'b', 200)");
    await waitFor("the second row", async () => (await count()) === 2, 60_000, 200, ingest);
    expect(ingest.output()).toMatch(/registered_users: 1 rows \([\d,]+ rows\/s\), 0 dead letters, cursor \d{4}-\d\d-\d\dT/);
    ingest.child.kill("SIGTERM");
    expect(await ingest.exited).toBe(0);
    expect(await count()).toBe(2);
  });

  it("sends a later logout to silver as an update of the visit", async () => {
    const url = await demoDatabase("update");
    const home = tempHome();
    await sql(url, "INSERT INTO registered_users (user_id, device_id, mac_address, registration_timestamp) VALUES (7, 70, 'aa:aa', 1678451168)");
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login) VALUES ('aa:aa', 3, 1678521600)");
    ingestOnce(home, url);
    pulse(home, "run", "--actions", "gym_logs,users");
    expect(rows(home, "select mac_address, gym, epoch(login) as login, logout from silver.gym_logs")).toEqual([{ mac_address: "aa:aa", gym: 3, login: 1678521600, logout: null }]);
    await sql(url, "UPDATE gym_logins SET logout = 1678526100 WHERE mac_address = 'aa:aa'");
    ingestOnce(home, url);
    pulse(home, "run", "--actions", "gym_logs,users");
    expect(rows(home, "select epoch(logout) as logout from silver.gym_logs")).toEqual([{ logout: 1678526100 }]);
    // Bronze keeps both versions of the row: same key, two cursor values.
    const versions = rows(home, "select _source, logout from bronze.gym_logins order by _source_line");
    expect(versions).toEqual([
      { _source: "postgres:public.gym_logins#1", logout: null },
      { _source: "postgres:public.gym_logins#1", logout: 1678526100 },
    ]);
  });

  it("dead-letters rows that fail bronze's checks, with the table and the row's key, and copies the rest", async () => {
    const url = await demoDatabase("dead");
    const home = tempHome();
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login, logout) VALUES ('ok', 1, 10, 20), (NULL, 1, 11, 21), ('nan', 1, 'NaN', 22)");
    ingestOnce(home, url, "--tables", "gym_logins");
    ingestOnce(home, url, "--tables", "gym_logins");
    expect(rows(home, "select mac_address from bronze.gym_logins")).toEqual([{ mac_address: "ok" }]);
    const dead = rows(home, "select source, feed, reason from bronze.dead_letters order by source");
    expect(dead).toEqual([
      { source: "postgres:public.gym_logins#2", feed: "gym_logins", reason: "mac_address is empty" },
      { source: "postgres:public.gym_logins#3", feed: "gym_logins", reason: "login must be a finite number" },
    ]);
  });

  it("refuses a missing table, a missing column and a type that does not fit bronze, writing nothing", async () => {
    const url = await demoDatabase("bad");
    const home = tempHome();
    await sql(url, "ALTER TABLE gym_logins RENAME COLUMN logout TO left_at");
    const missingColumn = pulseResult(home, "ingest", "--source", "postgres", "--once", "--url", url);
    expect(missingColumn.status).not.toBe(0);
    expect(missingColumn.output).toMatch(/table public\.gym_logins has no column logout/);
    await sql(url, "ALTER TABLE gym_logins RENAME COLUMN left_at TO logout; ALTER TABLE gym_logins ALTER COLUMN gym TYPE text");
    const wrongType = pulseResult(home, "ingest", "--source", "postgres", "--once", "--url", url);
    expect(wrongType.output).toMatch(/public\.gym_logins\.gym is text, which does not fit bronze\.gym_logins\.gym \(BIGINT\)/);
    const missingTable = pulseResult(home, "ingest", "--source", "postgres", "--once", "--url", url, "--schema", "nowhere", "--tables", "registered_users");
    expect(missingTable.output).toMatch(/table nowhere\.registered_users does not exist/);
    for (const result of [missingColumn, wrongType, missingTable]) expect(result.output).not.toMatch(/\n\s+at /);
    await sql(url, "INSERT INTO registered_users (user_id, device_id, mac_address, registration_timestamp) VALUES (1, 2, 'x', 3)");
    pulseResult(home, "ingest", "--source", "postgres", "--once", "--url", url);
    const files = await readdir(path.join(homePaths(path.join(home, "dev")).bronze, "registered_users")).catch(() => []);
    expect(files.filter((f) => f !== "_empty.parquet")).toEqual([]);
  });

  it("names host and port of an unreachable database: --once fails, polling retries with back-off until stopped", async () => {
    const home = tempHome();
    const once = pulseResult(home, "ingest", "--source", "postgres", "--once", "--url", "postgres://pulse@127.0.0.1:1/nothing");
    expect(once.status).toBe(1);
    expect(once.output).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/nothing/);
    expect(once.output).not.toMatch(/\n\s+at /);
    const polling = startCli(["ingest", "--source", "postgres", "--url", "postgres://pulse@127.0.0.1:1/nothing", "--home", home]);
    await waitFor("two retries", async () => /retrying in 2 s/.test(polling.output()), 30_000);
    expect(polling.output()).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/nothing.*retrying in 1 s/);
    polling.child.kill("SIGTERM");
    expect(await polling.exited).toBe(0);
  });
});
