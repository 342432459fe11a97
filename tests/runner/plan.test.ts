import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { AS_RENDERED } from "../../runner/adapters/adapter.js";
import { NameTranslator, duckdbTranslation, relationName } from "../../runner/adapters/duckdb/names.js";
import type { CompiledTable } from "../../runner/compile/graph.js";
import { planAction, runsIncrementally, type PlanContext } from "../../runner/plan/planAction.js";
import { schemaChangeSteps } from "../../runner/plan/schemaChange.js";
import * as sql from "../../runner/plan/sql.js";
import { PlanError, type ActionState } from "../../runner/plan/steps.js";

const int = (name: string) => ({ name, type: "BIGINT" });

describe("NameTranslator", () => {
  const translator = new NameTranslator([
    { database: "p", schema: "s", name: "t" },
    { database: "p", schema: "s", name: "t_history" },
    { database: "my-proj", schema: "raw", name: 'we"ird' },
  ]);

  it("rewrites the graph's BigQuery names, longest first, and quotes DuckDB identifiers", () => {
    expect(translator.translate("select * from `p.s.t` join `p.s.t_history` using (id)")).toBe('select * from "p"."s"."t" join "p"."s"."t_history" using (id)');
    expect(translator.translate('from `my-proj.raw.we"ird`')).toBe('from "my-proj"."raw"."we""ird"');
  });

  it("leaves names that are not graph targets alone", () => {
    expect(translator.translate("select `p.s.unknown`, `t`, p.s.t from x")).toBe("select `p.s.unknown`, `t`, p.s.t from x");
    expect(new NameTranslator([]).translate("select `p.s.t`")).toBe("select `p.s.t`");
  });

  it("renders relation names with or without a database", () => {
    expect(relationName({ database: "p", schema: "s", name: "t" })).toBe('"p"."s"."t"');
    expect(relationName({ schema: "s", name: "t" })).toBe('"s"."t"');
  });
});

describe("schemaChangeSteps", () => {
  const table = [int("id"), int("a")];
  const addB = [int("id"), int("a"), int("b")];
  const dropA = [int("id"), int("b")];

  it("changes nothing when the columns match, whatever the mode", () => {
    for (const mode of ["IGNORE", "FAIL", "EXTEND", "SYNCHRONIZE"] as const) {
      expect(schemaChangeSteps("duckdb", "r", mode, table, [int("a"), int("id")])).toEqual({ steps: [], resultColumns: table });
    }
  });

  it("IGNORE keeps the table's columns", () => {
    expect(schemaChangeSteps("duckdb", "r", "IGNORE", table, dropA)).toEqual({ steps: [], resultColumns: table });
  });

  it("FAIL names the added and missing columns", () => {
    expect(() => schemaChangeSteps("duckdb", "r", "FAIL", table, dropA)).toThrow(/new column\(s\) b; missing column\(s\) a/);
    expect(() => schemaChangeSteps("duckdb", "r", "FAIL", table, addB)).toThrow(PlanError);
  });

  it("EXTEND adds columns and refuses removals", () => {
    expect(schemaChangeSteps("duckdb", '"r"', "EXTEND", table, addB)).toEqual({
      steps: [{ kind: "sql", label: "schema change: add column", sql: 'alter table "r" add column "b" BIGINT' }],
      resultColumns: addB,
    });
    expect(() => schemaChangeSteps("duckdb", "r", "EXTEND", table, dropA)).toThrow(/EXTEND does not allow column removals: missing column\(s\) a/);
  });

  it("SYNCHRONIZE adds and drops columns but never a uniqueKey column", () => {
    const result = schemaChangeSteps("duckdb", '"r"', "SYNCHRONIZE", table, dropA, ["id"]);
    expect(result.steps.map((s) => s.sql)).toEqual(['alter table "r" add column "b" BIGINT', 'alter table "r" drop column "a"']);
    expect(result.resultColumns).toEqual(dropA);
    expect(() => schemaChangeSteps("duckdb", "r", "SYNCHRONIZE", table, dropA, ["a"])).toThrow(/cannot drop uniqueKey column\(s\) a/);
  });
});

describe("sql text", () => {
  it("quotes columns per dialect", () => {
    expect(sql.quoteColumn("duckdb", 'a"b')).toBe('"a""b"');
    expect(sql.quoteColumn("bigquery", "a`b")).toBe("`a\\`b`");
  });

  it("MERGE updates every column of a matched row and inserts the rest", () => {
    expect(sql.mergeFrom("duckdb", '"t"', "src", ["k1", "k2"], ["k1", "k2", "v"])).toBe(
      [
        'merge into "t" as t',
        "using src as s",
        'on t."k1" = s."k1" and t."k2" = s."k2"',
        'when matched then update set "k1" = s."k1", "k2" = s."k2", "v" = s."v"',
        'when not matched then insert ("k1", "k2", "v") values (s."k1", s."k2", s."v")',
      ].join("\n"),
    );
    expect(sql.insertFrom("duckdb", '"t"', "src", ["a", "b"])).toBe('insert into "t" ("a", "b")\nselect "a", "b" from src');
  });

  it("the ambiguous-merge check flags only keys that exist in the target and repeat in the batch, as BigQuery's MERGE does", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await connection.run("create table t (k bigint, v varchar); insert into t values (1, 'old'), (2, 'old')");
      const count = async () => Number((await connection.runAndReadAll(sql.ambiguousMergeCount("duckdb", "t", "b", ["k"]))).getRowObjects()[0]!.row_count);
      // Key 3 is new: BigQuery inserts both rows. Key 2 appears once: a plain update.
      await connection.run("create table b as select * from (values (2, 'x'), (3, 'y'), (3, 'z')) as v(k, v)");
      expect(await count()).toBe(0);
      await connection.run(sql.mergeFrom("duckdb", "t", "b", ["k"], ["k", "v"]));
      expect((await connection.runAndReadAll("select k, v from t order by k, v")).getRowsJson()).toEqual([
        ["1", "old"],
        ["2", "x"],
        ["3", "y"],
        ["3", "z"],
      ]);
      // Key 1 exists and appears twice: BigQuery fails, so must pulse.
      await connection.run("create or replace table b as select * from (values (1, 'a'), (1, 'b')) as v(k, v)");
      expect(await count()).toBe(1);
      expect((await connection.runAndReadAll(sql.ambiguousMergeSample("duckdb", "t", "b", ["k"]))).getRowsJson()).toEqual([[1, "2"]]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe("planAction", () => {
  const context: PlanContext = {
    dialect: "duckdb",
    fullRefresh: false,
    relation: (target) => relationName(target),
    translation: duckdbTranslation(new NameTranslator([{ database: "p", schema: "s", name: "src" }])),
  };
  const incremental: CompiledTable = {
    target: { database: "p", schema: "s", name: "t" },
    enumType: "INCREMENTAL",
    query: "select * from `p.s.src`",
    incrementalQuery: "select * from `p.s.src` where id > 1",
    preOps: ["select 'pre'"],
    incrementalPreOps: ["select 'incremental pre'"],
    postOps: ["select 'post'"],
    incrementalPostOps: ["select 'incremental post'"],
    uniqueKey: ["id"],
  };
  const plan = (table: CompiledTable, state: ActionState, fullRefresh = false) => planAction({ kind: "table", name: "p.s.t", action: table }, state, { ...context, fullRefresh });
  const existingTable: ActionState = { existing: { kind: "table", columns: [int("id"), int("v")] }, incrementalColumns: [int("id"), int("v")] };

  it("re-escapes the quotes Dataform puts in a built-in rowConditions literal for DuckDB", () => {
    const assertion = {
      target: { database: "p", schema: "checks", name: "rc" },
      parentAction: { database: "p", schema: "s", name: "src" },
      query: "SELECT 'kind = \\'a\\'' AS failing_row_condition, * FROM `p.s.src` WHERE NOT (kind = 'a')",
    };
    const view = planAction({ kind: "assertion", name: "p.checks.rc", action: assertion }, {}, context).steps[0]!.sql;
    expect(view).toContain(`SELECT 'kind = ''a''' AS failing_row_condition, * FROM "p"."s"."src" WHERE NOT (kind = 'a')`);
    const onBigQuery = planAction({ kind: "assertion", name: "p.checks.rc", action: assertion }, {}, { ...context, dialect: "bigquery", translation: AS_RENDERED }).steps[0]!.sql;
    expect(onBigQuery).toContain("SELECT 'kind = \\'a\\'' AS failing_row_condition");
  });

  it("creates an incremental table on its first run with the full query and the non-incremental operations", () => {
    const first = plan(incremental, {});
    expect(first.mode).toBe("create");
    expect(first.steps.map((s) => s.sql)).toEqual(["select 'pre'", 'create or replace table "p"."s"."t" as\nselect * from "p"."s"."src"', "select 'post'"]);
    expect(first.rowCountSql).toBe('select count(*) as row_count from "p"."s"."t"');
  });

  it("merges by uniqueKey after checking the batch, with the incremental operations", () => {
    const next = plan(incremental, existingTable);
    expect(next.mode).toBe("incremental");
    expect(next.steps.map((s) => s.label)).toEqual(["incremental pre-operation", "stage incremental batch", "merge key check", "merge", "drop staged batch", "incremental post-operation"]);
    expect(next.steps[1]!.sql).toContain('select * from "p"."s"."src" where id > 1');
    expect(next.steps.filter((s) => s.kind === "sql" && s.writesRows).map((s) => s.label)).toEqual(["merge"]);
  });

  it("appends without uniqueKey straight from the incremental query, as Dataform does", () => {
    const next = plan({ ...incremental, uniqueKey: [] }, existingTable);
    expect(next.steps.map((s) => s.label)).toEqual(["incremental pre-operation", "insert", "incremental post-operation"]);
    expect(next.steps[1]!.sql).toContain('from (\nselect * from "p"."s"."src" where id > 1\n) as batch');
    // A query that ends in a line comment must not comment out the closing parenthesis.
    const commented = plan({ ...incremental, uniqueKey: [], incrementalQuery: "select * from `p.s.src` -- new rows only" }, existingTable);
    expect(commented.steps[1]!.sql).toMatch(/-- new rows only\n\) as batch$/);
  });

  it("rebuilds on --full-refresh unless the table is protected", () => {
    expect(runsIncrementally(incremental, existingTable, true)).toBe(false);
    expect(plan(incremental, existingTable, true).mode).toBe("full-refresh");
    expect(runsIncrementally({ ...incremental, protected: true }, existingTable, true)).toBe(true);
    expect(plan({ ...incremental, protected: true }, existingTable, true).mode).toBe("incremental");
  });

  it("rebuilds an incremental table built under another semantics version than it declares, and says why", () => {
    const v2: CompiledTable = { ...incremental, bigquery: { labels: { pulse_semantics: "2" } } };
    const rebuilt = plan(v2, { ...existingTable, builtSemantics: "1" });
    expect(rebuilt.mode).toBe("full-refresh");
    expect(rebuilt.note).toBe("rebuilt in full: its stored rows were built under semantics version 1 and the definition now declares version 2 (label pulse_semantics)");
    expect(plan(v2, { ...existingTable, builtSemantics: "2" }).mode).toBe("incremental");
    // No label is version 1; a warehouse that records nothing is not compared.
    expect(plan(incremental, { ...existingTable, builtSemantics: "1" }).mode).toBe("incremental");
    expect(plan(v2, existingTable).mode).toBe("incremental");
    expect(plan(v2, { ...existingTable, builtSemantics: "1" }, true).note).toBeUndefined();
  });

  it("refuses to merge into a protected table built under another semantics version, naming the full refresh to run", () => {
    const table: CompiledTable = { ...incremental, protected: true, bigquery: { labels: { pulse_semantics: "2" } } };
    expect(() => plan(table, { ...existingTable, builtSemantics: "1" })).toThrow(
      "s.t is protected, but its stored rows were built under semantics version 1 and the definition now declares version 2 (label pulse_semantics): remove protected from its config and run `npx pulse run --actions s.t --full-refresh`",
    );
  });

  it("replaces a view that stands where the table goes", () => {
    const replaced = plan(incremental, { existing: { kind: "view", columns: [] } });
    expect(replaced.mode).toBe("full-refresh");
    expect(replaced.steps[1]).toEqual({ kind: "sql", label: "drop view (type changed)", sql: 'drop view if exists "p"."s"."t"' });
  });

  it("plans an assertion as a view that must be empty", () => {
    const assertion = planAction(
      { kind: "assertion", name: "p.checks.a", action: { target: { database: "p", schema: "checks", name: "a" }, query: "select * from `p.s.src` where x is null" } },
      {},
      context,
    );
    expect(assertion.steps).toEqual([
      { kind: "sql", label: "assertion view", sql: 'create or replace view "p"."checks"."a" as\nselect * from "p"."s"."src" where x is null' },
      expect.objectContaining({ kind: "expectEmpty", sql: 'select count(*) as row_count from "p"."checks"."a"', failure: "assertion failed: p.checks.a returned rows" }),
    ]);
  });
});
