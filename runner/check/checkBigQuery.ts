import fs from "node:fs";
import path from "node:path";
import { BRONZE_TABLE_NAMES, bronzeColumns, type BronzeTableName } from "../../lake/bronzeTables.js";
import type { Log } from "../../services/kafka.js";
import type { Column } from "../adapters/adapter.js";
import { targetName, type CompiledGraph } from "../compile/graph.js";
import { compileFor } from "../runProject.js";
import type { ProjectConfigOverride } from "../compile/compile.js";
import { dependencyOrder, fullRefreshUnits, incrementalUnits, type CheckUnit } from "./bigqueryUnits.js";
import { officialExecutionActions, type OfficialAction, type WarehouseState } from "./officialExecutionSql.js";
import { sqlxPosition, type SourcePosition } from "./sqlxPosition.js";
import { grantsPlan } from "../../access/grantsPlan.js";
import { ACCESS_FILE, loadAccessPolicy } from "../../access/policyFile.js";
import { ensureZetaSqlTool, ZetaSqlAnalyzer, type CatalogTable, type UnitResult } from "./zetasqlTool.js";

export interface CheckFinding {
  action: string;
  /** The project file the action comes from (relative to the project), when known. */
  file?: string;
  /** Where in `file`, when the statement's line could be found there. */
  source?: SourcePosition;
  form: string;
  step: string;
  /** Where in the statement sent to BigQuery (1-based). */
  statementLine?: number;
  statementColumn?: number;
  message: string;
  statement: string;
}

export interface CheckReport {
  findings: CheckFinding[];
  /** Units not analysed because one they depend on failed. */
  skipped: { action: string; form: string; reason: string }[];
  actions: number;
  /** Statements analysed per form (pulse full refresh, pulse incremental, the official CLI's runs). */
  statements: Map<string, number>;
}

/** Declared sources get their schema from the bronze contract; a declaration outside it has no schema to check against. */
function declaredTables(graph: CompiledGraph): { tables: CatalogTable[]; unknown: { name: string; file?: string }[] } {
  const tables: CatalogTable[] = [];
  const unknown: { name: string; file?: string }[] = [];
  for (const declaration of graph.declarations ?? []) {
    const name = targetName({ ...declaration.target, database: declaration.target.database || graph.projectConfig.defaultDatabase });
    if ((BRONZE_TABLE_NAMES as readonly string[]).includes(declaration.target.name) && declaration.target.schema === "bronze") {
      tables.push({ name, columns: bronzeColumns(declaration.target.name as BronzeTableName).map((c) => ({ name: c.name, type: c.bigqueryType })) });
    } else {
      unknown.push({ name, file: declaration.fileName });
    }
  }
  return { tables, unknown };
}

function officialUnits(actions: OfficialAction[], form: string, known: Set<string>): CheckUnit[] {
  return actions
    .filter((a) => a.statements.length > 0)
    .map((a) => ({
      id: `${form}:${a.name}`,
      action: a.name,
      fileName: a.fileName,
      form,
      info: a.statements.map((sql, i) => ({ label: `task ${i + 1} of ${a.statements.length}`, sql })),
      statements: a.statements,
      isolated: true,
      // The official form of an action pulse could not build would only repeat pulse's error.
      after: known.has(a.name) ? [`pulse full refresh:${a.name}`] : [],
    }));
}

/** `pulse grants plan`'s statements for each environment of access.yaml, when the project has one. */
function accessUnits(projectDir: string, graph: CompiledGraph): CheckUnit[] {
  if (!fs.existsSync(path.join(projectDir, ACCESS_FILE))) return [];
  const policy = loadAccessPolicy(projectDir);
  return Object.keys(policy.environments).map((environment) => {
    const statements = grantsPlan(policy, environment, graph).statements;
    const form = `access DCL (${environment})`;
    return {
      id: form,
      action: `grants plan --env ${environment}`,
      fileName: ACCESS_FILE,
      form,
      info: statements.map((sql, i) => ({ label: `statement ${i + 1} of ${statements.length}`, sql })),
      statements,
      isolated: true,
      after: [],
    };
  });
}

/**
 * Analyses every statement a BigQuery run would send, with ZetaSQL's BigQuery language options: pulse's plans
 * for a full build and for an incremental run of each action, and the official CLI's execution SQL for a first
 * and an incremental run. Declared sources come from the bronze contract; every other table's columns are the
 * ones ZetaSQL infers for its CREATE statement, added in dependency order.
 */
export async function checkBigQuery(options: { projectDir: string; vars: Record<string, string>; override?: ProjectConfigOverride; log: Log }): Promise<CheckReport> {
  const override = options.override ?? {};
  const graph = compileFor("bigquery", options.projectDir, options.vars, override);
  const projectId = graph.projectConfig.defaultDatabase ?? "pulse";
  const order = dependencyOrder(graph);
  const { tables, unknown } = declaredTables(graph);
  const findings: CheckFinding[] = unknown.map((d) => ({
    action: d.name,
    file: d.file,
    form: "declaration",
    step: "catalog",
    message: `declared source ${d.name} is not a bronze table (lake/bronzeTables.ts), so its columns are unknown`,
    statement: "",
  }));

  const firstRun = officialExecutionActions(options.projectDir, projectId, options.vars, new Map(), override);
  firstRun.catch(() => {});
  const tool = await ensureZetaSqlTool(options.log);
  const analyzer = ZetaSqlAnalyzer.start(tool);
  const units: CheckUnit[] = [];
  const results: UnitResult[] = [];
  try {
    await analyzer.declare(projectId, tables);
    const full = fullRefreshUnits(order);
    const fullResults = await analyzer.analyze(full);
    units.push(...full);
    results.push(...fullResults);

    const columns = new Map<string, Column[]>();
    const state: WarehouseState = new Map();
    const views = new Set(order.filter((a) => a.kind === "assertion" || (a.kind === "table" && a.action.enumType === "VIEW")).map((a) => a.name));
    for (const result of fullResults) {
      for (const created of result.created) {
        columns.set(created.name, created.columns);
        state.set(created.name, { kind: views.has(created.name) ? "view" : "table", columns: created.columns });
      }
    }
    const incremental = incrementalUnits(order, columns);
    units.push(...incremental);
    results.push(...(await analyzer.analyze(incremental)));

    const incrementalRun = officialExecutionActions(options.projectDir, projectId, options.vars, state, override);
    incrementalRun.catch(() => {});
    const known = new Set(full.map((u) => u.action));
    const first = officialUnits(await firstRun, "dataform CLI first run", known);
    const firstStatements = new Map(first.map((u) => [u.action, JSON.stringify(u.statements)]));
    // Tables and views are rebuilt the same way on every run; only incremental tables change form.
    const again = officialUnits(await incrementalRun, "dataform CLI incremental run", known).filter((u) => firstStatements.get(u.action) !== JSON.stringify(u.statements));
    units.push(...first, ...again);
    results.push(...(await analyzer.analyze([...first, ...again])));

    // The access policy's DCL, after every table exists in the catalog (row access filters resolve against them).
    const dcl = accessUnits(options.projectDir, graph);
    units.push(...dcl);
    results.push(...(await analyzer.analyze(dcl)));
  } finally {
    await analyzer.close();
  }

  const byId = new Map(units.map((u) => [u.id, u]));
  const sources = new Map<string, string | undefined>();
  const readSource = (file: string) => {
    if (!sources.has(file)) sources.set(file, fs.existsSync(path.join(options.projectDir, file)) ? fs.readFileSync(path.join(options.projectDir, file), "utf8") : undefined);
    return sources.get(file);
  };
  const skipped: CheckReport["skipped"] = [];
  for (const result of results) {
    const unit = byId.get(result.id)!;
    if (result.status === "skipped") skipped.push({ action: unit.action, form: unit.form, reason: result.message ?? "" });
    if (result.status !== "error") continue;
    const info = unit.info[result.statement ?? 0]!;
    const source = unit.fileName && result.line && result.column ? readSource(unit.fileName) : undefined;
    findings.push({
      action: unit.action,
      file: unit.fileName,
      source: source !== undefined ? sqlxPosition(source, info.sql, result.line!, result.column!) : undefined,
      form: unit.form,
      step: info.label,
      statementLine: result.line,
      statementColumn: result.column,
      message: (result.message ?? "analysis failed").replace(/ \[at \d+:\d+\]$/, ""),
      statement: info.sql,
    });
  }
  const statements = new Map<string, number>();
  for (const u of units) statements.set(u.form, (statements.get(u.form) ?? 0) + u.statements.length);
  return { findings, skipped, actions: order.length, statements };
}
