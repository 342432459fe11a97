import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as polyglot from "@polyglot-sql/sdk";
import { BRONZE_TABLE_NAMES, bronzeColumns, type BronzeTableName } from "../../lake/bronzeTables.js";
import type { CatalogEntry } from "../catalog.js";

/** One upstream column a column is computed from. */
export interface ColumnInput {
  /** Full name of the upstream relation (`pulse.bronze.kafka_multiplex`). */
  table: string;
  column: string;
  /** IDENTITY (copied) or TRANSFORMATION (computed), as OpenLineage classifies it. */
  subtype: string;
  /** The JSON path the value is extracted at, when the input is a JSON document (`$.heartrate`). */
  jsonPath?: string;
  /** Equality filters on the input relation's rows (`topic = 'bpm'`). */
  filters: string[];
}
export interface TableLineage {
  table: string;
  columns: Record<string, ColumnInput[]>;
  /** The parser's error or warnings, shown beside the lineage rather than hidden. */
  problems: string[];
}
export type Lineage = Record<string, TableLineage>;

/** OpenLineage wants a URI naming the producer; pulse has no home page to name. */
export const PRODUCER = "urn:pulse:lineage";
export const NAMESPACE = "duckdb://pulse";
/** Part of the lineage cache's key: change it when what this module computes changes. */
const CACHE_FORMAT = 2;

/**
 * Column lineage of every table and view of the graph, from its compiled DuckDB SQL (entries' `query` with DuckDB
 * names, see catalog()) parsed by polyglot-sql (a SQL
 * parser for the DuckDB dialect, among others): the OpenLineage column facet gives each output column's input
 * columns; where an input is a JSON document, the column's lineage tree gives the path extracted and the
 * filters applied to the input's rows. Parsing costs ~0.3 s per table on this machine (WebAssembly), so the
 * result is cached in the temp folder under a hash of the SQL.
 */
export function columnLineage(entries: CatalogEntry[]): Lineage {
  const tables = entries.filter((e) => (e.kind === "table" || e.kind === "view" || e.kind === "incremental") && e.query);
  const key = createHash("sha256")
    .update(JSON.stringify([CACHE_FORMAT, polyglot.getVersion(), tables.map((t) => [t.name, t.query])]))
    .digest("hex")
    .slice(0, 24);
  const cacheFile = path.join(os.tmpdir(), "pulse-lineage-cache", `${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(cacheFile, "utf8")) as Lineage;
  } catch {
    // not cached yet
  }
  const lineage: Lineage = {};
  for (const table of tables) lineage[table.name] = tableLineage(table, table.query!);
  // `SELECT *` needs the columns of what it selects from: the sources' from the lake's contract, the others'
  // from the pass before. Each pass can resolve one more level of stars.
  for (let pass = 0; pass < 3; pass++) {
    const starred = tables.filter((t) => lineage[t.name]!.problems.some((p) => /SELECT \*|star/i.test(p)));
    if (starred.length === 0) break;
    const schema = knownSchema(entries, lineage);
    for (const table of starred) lineage[table.name] = starLineage(table, table.query!, schema) ?? lineage[table.name]!;
  }
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(`${cacheFile}.${process.pid}.tmp`, JSON.stringify(lineage));
  fs.renameSync(`${cacheFile}.${process.pid}.tmp`, cacheFile);
  return lineage;
}

function tableLineage(entry: CatalogEntry, sql: string): TableLineage {
  const result = polyglot.openLineageColumnLineage(sql, {
    dialect: "duckdb",
    producer: PRODUCER,
    datasetNamespace: NAMESPACE,
    outputDataset: { namespace: NAMESPACE, name: entry.name },
  });
  const problems = [...(result.error ? [result.error] : []), ...result.warnings.map((w) => w.message)];
  const columns: Record<string, ColumnInput[]> = {};
  for (const [column, field] of Object.entries(result.facet?.fields ?? {})) {
    const jsonInputs = field.inputFields.some((f) => f.transformations?.some((t) => t.subtype === "TRANSFORMATION"));
    const details = jsonInputs ? jsonDetails(column, sql) : new Map<string, InputDetail>();
    columns[column] = field.inputFields.map((f) => {
      const detail = details.get(`${f.name}.${f.field}`);
      return { table: f.name, column: f.field, subtype: f.transformations?.[0]?.subtype ?? "", jsonPath: detail?.jsonPath, filters: detail?.filters ?? [] };
    });
  }
  return { table: entry.name, columns, problems };
}

/** Columns of every relation known so far, under their full names (the form polyglot matches `"db"."schema"."name"` to). */
function knownSchema(entries: CatalogEntry[], lineage: Lineage): polyglot.Schema {
  const tables: polyglot.Schema["tables"] = [];
  for (const entry of entries) {
    const bronze = entry.kind === "declaration" && entry.layer === "bronze" && (BRONZE_TABLE_NAMES as readonly string[]).includes(entry.target.name);
    const columns = bronze
      ? bronzeColumns(entry.target.name as BronzeTableName).map((c) => ({ name: c.name, type: c.duckdbType }))
      : Object.keys(lineage[entry.name]?.columns ?? {}).map((name) => ({ name, type: "UNKNOWN" }));
    if (columns.length > 0) tables.push({ name: entry.name, columns });
  }
  return { tables, strict: false };
}

/** A table whose query selects `*`: output columns expanded with the schema, then each column's lineage tree. */
function starLineage(entry: CatalogEntry, sql: string, schema: polyglot.Schema): TableLineage | undefined {
  const output = polyglot.outputColumnsWithSchema(sql, schema, "duckdb");
  if (!output.success || !output.output) return undefined;
  const columns: Record<string, ColumnInput[]> = {};
  const problems: string[] = [];
  for (const column of output.output.columns) {
    const name = (column as { name?: string }).name;
    if (!name) continue;
    const tree = polyglot.lineageWithSchema(name, sql, schema, "duckdb");
    if (!tree.success || !tree.lineage) {
      problems.push(`${name}: ${tree.error ?? "no lineage"}`);
      continue;
    }
    columns[name] = [...treeInputs(tree.lineage).entries()].map(([key, detail]) => {
      const dot = key.lastIndexOf(".");
      return { table: key.slice(0, dot), column: key.slice(dot + 1), ...detail };
    });
  }
  return { table: entry.name, columns, problems };
}

type Node = polyglot.LineageNode;
type Json = unknown;

/** For each input `table.column` of an output column: the JSON path it is read at and the filters on its table. */
function jsonDetails(column: string, sql: string): Map<string, InputDetail> {
  const tree = polyglot.lineage(column, sql, "duckdb");
  return tree.success && tree.lineage ? treeInputs(tree.lineage) : new Map();
}

type InputDetail = { subtype: string; jsonPath?: string; filters: string[] };

/** The leaves (table columns) of a lineage tree, keyed `table.column`, with what happened on the way to them. */
function treeInputs(root: Node): Map<string, InputDetail> {
  const found = new Map<string, InputDetail>();
  const walk = (node: Node, jsonPath: string | undefined, computed: boolean, parent: Node | undefined) => {
    const path = jsonPath ?? jsonPathIn(node.expression);
    const transformed = computed || !isColumnReference(node.expression);
    if (node.source_kind === "table" && node.downstream.length === 0) {
      const columnName = node.name.split(".").pop()!;
      found.set(`${node.source_name}.${columnName}`, { subtype: transformed ? "TRANSFORMATION" : "IDENTITY", jsonPath: path, filters: parent ? equalityFilters(parent.source) : [] });
      return;
    }
    for (const child of node.downstream) walk(child, path, transformed, node);
  };
  walk(root, undefined, false, undefined);
  return found;
}

/** A bare column, possibly renamed: the value passes through unchanged. */
function isColumnReference(expression: Json): boolean {
  if (!isObject(expression)) return false;
  if (isObject(expression.column)) return true;
  return isObject(expression.alias) && isObject(expression.alias.this) && isObject(expression.alias.this.column);
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null;
}

/** The string literal passed to a json_extract* function in an expression tree, if any. */
function jsonPathIn(expression: Json): string | undefined {
  if (!isObject(expression)) return undefined;
  const fn = expression.function;
  if (isObject(fn) && typeof fn.name === "string" && /^json_extract/i.test(fn.name) && Array.isArray(fn.args)) {
    const literal = fn.args[1];
    if (isObject(literal) && isObject(literal.literal) && typeof literal.literal.value === "string") return literal.literal.value;
  }
  for (const value of Object.values(expression)) {
    const inner = Array.isArray(value) ? value.map(jsonPathIn).find(Boolean) : jsonPathIn(value);
    if (inner) return inner;
  }
  return undefined;
}

/** `column = 'literal'` conjuncts of a SELECT's WHERE clause (the row filter an input passes through). */
function equalityFilters(source: Json): string[] {
  const where = isObject(source) && isObject(source.select) ? source.select.where_clause : undefined;
  const filters: string[] = [];
  const visit = (node: Json) => {
    if (!isObject(node)) return;
    if (isObject(node.and)) {
      visit(node.and.left);
      visit(node.and.right);
      return;
    }
    const eq = node.eq;
    if (isObject(eq) && isObject(eq.left) && isObject(eq.right) && isObject(eq.left.column) && isObject(eq.right.literal)) {
      const name = isObject(eq.left.column.name) ? eq.left.column.name.name : undefined;
      filters.push(`${String(name)} = '${String(eq.right.literal.value)}'`);
    }
  };
  if (isObject(where)) visit(where.this);
  return filters;
}

export interface UpstreamColumn extends ColumnInput {
  /** 1 for a direct input, 2 for its inputs, and so on. */
  depth: number;
  /** The column whose input this is. */
  of: string;
}

/** Every column upstream of `table.column`, breadth first, down to the sources (bronze declarations). */
export function upstreamColumns(lineage: Lineage, table: string, column: string): UpstreamColumn[] {
  const out: UpstreamColumn[] = [];
  const seen = new Set<string>();
  let frontier = [{ table, column, depth: 0 }];
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const at of frontier) {
      for (const input of lineage[at.table]?.columns[at.column] ?? []) {
        const key = `${input.table}.${input.column}`;
        out.push({ ...input, depth: at.depth + 1, of: `${at.table}.${at.column}` });
        if (seen.has(key)) continue;
        seen.add(key);
        next.push({ table: input.table, column: input.column, depth: at.depth + 1 });
      }
    }
    frontier = next;
  }
  return out;
}
