import type { CompiledGraph, Target } from "../runner/compile/graph.js";
import { piiColumns } from "./piiColumns.js";
import { environmentPolicy, ROLES, type AccessPolicy, type Role } from "./policyFile.js";
import { mayRead } from "./tableAccess.js";

/** BigQuery's predefined roles a read and a write scope become. */
export const READ_ROLE = "roles/bigquery.dataViewer";
export const WRITE_ROLE = "roles/bigquery.dataEditor";

/** The DCL of one environment, in the order it is applied. */
export interface GrantsPlan {
  environment: string;
  /** GRANT and CREATE ROW ACCESS POLICY statements, each one BigQuery statement. */
  statements: string[];
  /** PII columns and the policy tag BigQuery binds them to (through the table schema, not SQL). */
  policyTags: { table: string; column: string; policyTag: string; masking: string }[];
  /** Scopes that name nothing on BigQuery (e.g. the local audit log), printed as comments. */
  notOnBigQuery: string[];
}

const quoteName = (parts: (string | undefined)[]) => `\`${parts.filter(Boolean).join(".")}\``;
const quoteString = (text: string) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * `pulse grants plan`: access.yaml's policy for one environment as BigQuery DCL, on the datasets and tables the
 * graph (compiled for that environment, so its project, suffixes and prefixes apply) puts on BigQuery. A dataset
 * scope becomes `GRANT ... ON SCHEMA`, a table scope `ON TABLE`; each declared row access policy becomes one
 * CREATE ROW ACCESS POLICY for its roles, plus one `FILTER USING (TRUE)` for the table's other readers, because once
 * a table has a row access policy BigQuery shows no rows to anyone no policy grants. Pure.
 */
export function grantsPlan(policy: AccessPolicy, environment: string, graph: CompiledGraph): GrantsPlan {
  const env = environmentPolicy(policy, environment);
  const project = graph.projectConfig.defaultDatabase;
  // Datasets by their name in access.yaml (the canonical one) → the name the environment compiles to.
  const datasets = new Map<string, string>();
  const tables = new Map<string, Target>();
  for (const relation of [...(graph.declarations ?? []), ...(graph.tables ?? []), ...(graph.assertions ?? [])]) {
    const canonical = relation.canonicalTarget ?? relation.target;
    datasets.set(canonical.schema!, relation.target.schema!);
    tables.set(`${canonical.schema}.${canonical.name}`, relation.target);
  }
  const statements: string[] = [];
  const notOnBigQuery: string[] = [];
  const principals = (role: Role) => env.principals[role] ?? [];
  for (const role of ROLES) {
    const members = principals(role);
    if (members.length === 0) continue;
    for (const [kind, bigQueryRole] of [
      ["read", READ_ROLE],
      ["write", WRITE_ROLE],
    ] as const) {
      for (const scope of env.access[role]?.[kind] ?? []) {
        const [dataset, name] = scope.split(".");
        const to = members.map(quoteString).join(", ");
        if (name === undefined || name === "*") {
          const compiled = datasets.get(dataset!);
          if (compiled) statements.push(`GRANT \`${bigQueryRole}\` ON SCHEMA ${quoteName([project, compiled])} TO ${to}`);
          else notOnBigQuery.push(`${role} ${kind} ${scope}`);
          continue;
        }
        const target = tables.get(scope);
        if (target) statements.push(`GRANT \`${bigQueryRole}\` ON TABLE ${quoteName([target.database ?? project, target.schema, target.name])} TO ${to}`);
        else notOnBigQuery.push(`${role} ${kind} ${scope}`);
      }
    }
  }
  for (const rowPolicy of env.row_access) {
    const target = tables.get(rowPolicy.table);
    if (!target) {
      notOnBigQuery.push(`row access policy ${rowPolicy.name} on ${rowPolicy.table}`);
      continue;
    }
    const on = quoteName([target.database ?? project, target.schema, target.name]);
    const granted = rowPolicy.roles.flatMap(principals);
    if (granted.length > 0) statements.push(`CREATE OR REPLACE ROW ACCESS POLICY ${rowPolicy.name} ON ${on} GRANT TO (${granted.map(quoteString).join(", ")}) FILTER USING (${rowPolicy.filter})`);
    const others = ROLES.filter((role) => !rowPolicy.roles.includes(role) && mayRead(env, role, rowPolicy.table)).flatMap(principals);
    if (others.length > 0) statements.push(`CREATE OR REPLACE ROW ACCESS POLICY ${rowPolicy.name}_other_readers ON ${on} GRANT TO (${others.map(quoteString).join(", ")}) FILTER USING (TRUE)`);
  }
  const policyTags = [...piiColumns(graph).values()].flat().map((c) => {
    const target = tables.get(c.table)!;
    return { table: [target.database ?? project, target.schema, target.name].join("."), column: c.column, policyTag: c.policyTag, masking: c.masking };
  });
  return { environment, statements, policyTags, notOnBigQuery };
}

/** The plan as `pulse grants plan` prints it: the statements, then the policy-tag bindings as comments. */
export function grantsPlanText(plan: GrantsPlan): string {
  const lines = [`-- pulse grants plan --env ${plan.environment}: access.yaml as BigQuery DCL`, ...plan.statements.map((s) => `${s};`)];
  if (plan.notOnBigQuery.length > 0) {
    lines.push("", "-- Not on BigQuery (local only; Cloud Audit Logs record BigQuery's own jobs):", ...plan.notOnBigQuery.map((s) => `--   ${s}`));
  }
  lines.push(
    "",
    "-- PII policy tags: bound through each table's schema (the SQLX columns' bigqueryPolicyTags, which dataform run and",
    "-- pulse grants apply set with tables.patch; BigQuery has no DDL for them). The tag's data policy masks the column",
    "-- (SHA256 or ALWAYS_NULL) for masked readers; roles with clearance need roles/datacatalog.categoryFineGrainedReader on it.",
    ...plan.policyTags.map((t) => `--   ${t.table}.${t.column}: ${t.policyTag} (${t.masking})`),
  );
  return `${lines.join("\n")}\n`;
}
