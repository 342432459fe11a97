import { sqlIdentifier, sqlString } from "../lake/sqlText.js";
import type { Masking, PiiColumn } from "./piiColumns.js";
import type { RoleContext } from "./queryPolicy.js";
import { mayRead } from "./tableAccess.js";

/** A relation a role's view may stand for. */
export interface SourceRelation {
  schema: string;
  name: string;
  /** The fully qualified DuckDB name the view reads (`"pulse"."silver"."users"`). */
  source: string;
  columns: { name: string; type: string }[];
}

/** The catalog holding a role's views; `pulse query --role` resolves `dataset.table` there and nowhere else. */
export const ROLE_CATALOG = "_pulse_role";

/** DuckDB's masking of a PII column; BigQuery's data policies on the column's policy tag do the same (SHA-256, always null). */
export function maskedColumn(column: string, type: string, masking: Masking): string {
  const name = sqlIdentifier(column);
  return masking === "hash" ? `sha256(cast(${name} as varchar)) as ${name}` : `cast(null as ${type}) as ${name}`;
}

/**
 * One view per relation the role may read, in ROLE_CATALOG under the relation's own `dataset.table`: PII columns
 * masked (hash or null, per the column's policy tag) or left out (a role whose PII is hidden), the rows filtered by
 * the environment's row access policies for the role. Pure: returns the DDL.
 */
export function roleViewStatements(context: RoleContext, relations: SourceRelation[]): string[] {
  const statements = [`attach ':memory:' as ${sqlIdentifier(ROLE_CATALOG)}`];
  const schemas = new Set<string>();
  for (const relation of relations) {
    const table = `${relation.schema}.${relation.name}`;
    if (!mayRead(context.policy, context.role, table)) continue;
    if (!schemas.has(relation.schema)) statements.push(`create schema ${sqlIdentifier(ROLE_CATALOG)}.${sqlIdentifier(relation.schema)}`);
    schemas.add(relation.schema);
    const pii = new Map<string, PiiColumn>((context.pii.get(table) ?? []).map((c) => [c.column.toLowerCase(), c]));
    const select = relation.columns.flatMap(({ name, type }) => {
      const tagged = pii.get(name.toLowerCase());
      if (!tagged || context.clearance === "clear") return [sqlIdentifier(name)];
      return context.clearance === "hidden" ? [] : [maskedColumn(name, type, tagged.masking)];
    });
    const filters = context.policy.row_access.filter((p) => p.table === table && p.roles.includes(context.role)).map((p) => `(${p.filter})`);
    statements.push(
      `create view ${sqlIdentifier(ROLE_CATALOG)}.${sqlIdentifier(relation.schema)}.${sqlIdentifier(relation.name)} as select ${select.join(", ") || "null as no_columns"} from ${relation.source}` +
        (filters.length > 0 ? ` where ${filters.join(" and ")}` : ""),
    );
  }
  statements.push(`use ${sqlIdentifier(ROLE_CATALOG)}`, `set search_path = ${sqlString(`${ROLE_CATALOG}.main`)}`);
  return statements;
}
