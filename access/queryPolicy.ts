import type { PiiColumn } from "./piiColumns.js";
import type { EnvironmentPolicy, Role } from "./policyFile.js";
import { isCte, type NotSelect, type StatementReads } from "./statementReads.js";
import { mayRead } from "./tableAccess.js";

export interface QueryDecision {
  allowed: boolean;
  /** `dataset.table` of every table the SQL names (CTEs left out), for the audit log. */
  tablesRead: string[];
  /** Why it was refused, naming the table (or column) and the role. */
  reason?: string;
}

export interface RoleContext {
  role: Role;
  environment: string;
  policy: EnvironmentPolicy;
  clearance: "clear" | "masked" | "hidden";
  /** PII columns per `dataset.table` (access/piiColumns.ts). */
  pii: Map<string, PiiColumn[]>;
}

/** The tables of a parsed SQL string, as `dataset.table` (`catalog.dataset.table` when a catalog is named). */
export function tablesRead(reads: StatementReads | NotSelect): string[] {
  if ("error" in reads) return [];
  const names = reads.tables.filter((t) => !isCte(reads, t)).map((t) => [t.catalog, t.schema, t.name].filter(Boolean).join(".").toLowerCase());
  return [...new Set(names)].sort();
}

/**
 * Whether `role` may run a read: SELECT statements only, every table named `dataset.table` and readable by the role
 * in the environment, no table functions (they read files, which would bypass the tables), and for a role whose
 * PII is hidden no PII column named. Pure: the SQL has been parsed by DuckDB (statementReads).
 */
export function decideRead(reads: StatementReads | NotSelect, context: RoleContext): QueryDecision {
  const tables = tablesRead(reads);
  const refuse = (reason: string): QueryDecision => ({ allowed: false, tablesRead: tables, reason });
  const who = `role ${context.role} (environment ${context.environment})`;
  if ("error" in reads) return refuse(reads.notSelect ? `${who} may run SELECT statements only` : `the SQL does not parse: ${reads.error}`);
  if (reads.tableFunctions.length > 0) return refuse(`${who} may not call table functions (${[...new Set(reads.tableFunctions)].join(", ")}): they read files, not tables`);
  for (const table of reads.tables) {
    if (isCte(reads, table)) continue;
    if (table.catalog !== "") return refuse(`${who} names tables as dataset.table: ${table.catalog}.${table.schema}.${table.name} names a catalog`);
    if (table.schema === "") return refuse(`${who} names tables as dataset.table: '${table.name}' has no dataset`);
    const name = `${table.schema}.${table.name}`.toLowerCase();
    if (!mayRead(context.policy, context.role, name)) return refuse(`${who} may not read ${name}`);
  }
  if (context.clearance === "hidden") {
    for (const table of tables) {
      const hidden = (context.pii.get(table) ?? []).find((c) => reads.columns.has(c.column.toLowerCase()));
      if (hidden) return refuse(`${who} may not read PII column ${table}.${hidden.column}`);
    }
  }
  return { allowed: true, tablesRead: tables };
}
