import { UserError } from "../../../lib/errors.js";
import { BRONZE_TABLE_NAMES, bronzeColumns, type BronzeTableName } from "../../../lake/bronzeTables.js";
import { targetName, type CompiledGraph, type Target } from "../../compile/graph.js";
import type { WarehouseAdapter } from "../adapter.js";
import { bronzeTableDdl } from "./bronzeDdl.js";

export interface BronzeTablePlan {
  table: BronzeTableName;
  target: Target;
  ddl: string;
}

export interface BigQueryInitPlan {
  /** Every dataset the graph reads or writes, `project.dataset`. */
  datasets: { database: string; schema: string }[];
  tables: BronzeTablePlan[];
}

function isBronzeTable(name: string): name is BronzeTableName {
  return (BRONZE_TABLE_NAMES as readonly string[]).includes(name);
}

/**
 * What `pulse bigquery init` creates, from a graph compiled for BigQuery: the datasets of every action, and
 * a table for each declaration of a bronze table (wherever the project declares it). Pure.
 */
export function bigqueryInitPlan(graph: CompiledGraph, relation: (target: Target) => string): BigQueryInitPlan {
  const declarations = (graph.declarations ?? []).filter((d) => isBronzeTable(d.target.name));
  const missing = BRONZE_TABLE_NAMES.filter((name) => !declarations.some((d) => d.target.name === name));
  if (missing.length > 0) throw new UserError(`bigquery init: the project declares no bronze table ${missing.join(", ")} (definitions/bronze/*.sqlx)`);
  const targets = [...(graph.tables ?? []), ...(graph.assertions ?? []), ...(graph.operations ?? []), ...declarations].map((a) => a.target);
  const datasets = new Map<string, { database: string; schema: string }>();
  for (const t of targets) {
    if (t.database && t.schema) datasets.set(`${t.database}.${t.schema}`, { database: t.database, schema: t.schema });
  }
  return {
    datasets: [...datasets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => d),
    tables: declarations
      .map((d) => ({ table: d.target.name as BronzeTableName, target: d.target, ddl: bronzeTableDdl(relation(d.target), d.target.name as BronzeTableName, d.actionDescriptor?.description) }))
      .sort((a, b) => a.table.localeCompare(b.table)),
  };
}

export interface InitOutcome {
  datasets: string[];
  tables: { name: string; status: "created" | "exists" }[];
}

/**
 * Creates what the plan names and is missing. A bronze table that already exists is kept, but must have
 * every column of the contract: ingest would fail on it row by row otherwise.
 */
export async function initBigQuery(adapter: WarehouseAdapter, plan: BigQueryInitPlan): Promise<InitOutcome> {
  for (const d of plan.datasets) await adapter.ensureSchema(d.database, d.schema);
  const tables: InitOutcome["tables"] = [];
  for (const t of plan.tables) {
    const name = targetName(t.target);
    const existing = await adapter.describeRelation(t.target);
    if (existing) {
      const have = new Set(existing.columns.map((c) => c.name));
      const lacking = bronzeColumns(t.table).filter((c) => !have.has(c.name));
      if (lacking.length > 0) throw new UserError(`bigquery init: ${name} exists without the bronze column(s) ${lacking.map((c) => `${c.name} ${c.bigqueryType}`).join(", ")}`, 1);
      tables.push({ name, status: "exists" });
    } else {
      await adapter.execute(t.ddl);
      tables.push({ name, status: "created" });
    }
  }
  return { datasets: plan.datasets.map((d) => `${d.database}.${d.schema}`), tables };
}
