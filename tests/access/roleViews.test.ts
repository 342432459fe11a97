import { afterAll, beforeAll, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "../../lib/duckdb.js";
import type { PiiColumn } from "../../access/piiColumns.js";
import type { RoleContext } from "../../access/queryPolicy.js";
import { roleViewStatements } from "../../access/roleViews.js";

// The views pulse query --role reads through, on a real DuckDB: masking by policy tag and row access policies.
let instance: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run("attach ':memory:' as pulse");
  await connection.run("create schema pulse.gold");
  await connection.run("create table pulse.gold.summary (user_id bigint, name varchar, born date, state varchar)");
  await connection.run("insert into pulse.gold.summary values (1, 'Ada', date '1990-01-02', 'CA'), (2, 'Bo', date '1980-03-04', null)");
  await connection.run("create table pulse.gold.secret (x int)");
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

const pii: PiiColumn[] = [
  { table: "gold.summary", column: "name", masking: "hash", policyTag: "t/hash" },
  { table: "gold.summary", column: "born", masking: "null", policyTag: "t/null" },
];
const relations = [
  {
    schema: "gold",
    name: "summary",
    source: '"pulse"."gold"."summary"',
    columns: [
      { name: "user_id", type: "BIGINT" },
      { name: "name", type: "VARCHAR" },
      { name: "born", type: "DATE" },
      { name: "state", type: "VARCHAR" },
    ],
  },
  { schema: "gold", name: "secret", source: '"pulse"."gold"."secret"', columns: [{ name: "x", type: "INTEGER" }] },
];

function context(clearance: RoleContext["clearance"]): RoleContext {
  return {
    role: "analyst",
    environment: "prod",
    clearance,
    pii: new Map([["gold.summary", pii]]),
    policy: {
      access: { analyst: { read: ["gold.summary"], write: [] } },
      principals: {},
      row_access: [{ name: "known_state", table: "gold.summary", roles: ["analyst"], filter: "state IS NOT NULL" }],
      policy_tags: { hash: "t/hash", null: "t/null" },
    },
  };
}

async function asRole(clearance: RoleContext["clearance"], sql: string): Promise<Record<string, unknown>[]> {
  const session = await instance.connect();
  try {
    await session.run("use memory");
    await session.run("detach database if exists _pulse_role");
    for (const statement of roleViewStatements(context(clearance), relations)) await session.run(statement);
    return (await session.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    session.closeSync();
  }
}

it("masks by each column's policy tag (hash keeps equality, null keeps the type) and filters rows by the role's row access policy", async () => {
  const rows = await asRole("masked", "select * from gold.summary");
  expect(rows).toEqual([{ user_id: "1", name: expect.stringMatching(/^[0-9a-f]{64}$/), born: null, state: "CA" }]);
  const [hashed] = (await connection.runAndReadAll("select sha256('Ada') as h")).getRowObjectsJson();
  expect(rows[0]!.name).toBe(hashed!.h);
  expect(await asRole("hidden", "select * from gold.summary")).toEqual([{ user_id: "1", state: "CA" }]);
  expect(await asRole("clear", "select name from gold.summary")).toEqual([{ name: "Ada" }]);
});

it("has no view of a table the role may not read", async () => {
  await expect(asRole("clear", "select * from gold.secret")).rejects.toThrow(/Table with name secret does not exist/);
});
