import path from "node:path";
import type { CompiledGraph } from "../runner/compile/graph.js";
import { compileFor } from "../runner/runProject.js";
import { catalog } from "../serve/catalog.js";
import { columnLineage, type Lineage } from "../serve/lineage/columnLineage.js";
import { piiColumns, POLICY_TAG_VARS, type PiiColumn } from "./piiColumns.js";
import { loadAccessPolicy, ROLES, type AccessPolicy } from "./policyFile.js";
import { ownership } from "./tableAccess.js";

/** The rules `pulse policy check` enforces. */
export const RULES = {
  piiInGold: "pii-reaches-gold-unmasked",
  owner: "table-owner-and-class",
  bronzeReaders: "bronze-read-only-by-engineers-and-ingest",
  prodFromDev: "prod-not-writable-from-dev",
  unknownTag: "unknown-policy-tag",
} as const;

export interface Violation {
  /** Relative to the project. */
  file: string;
  /** `dataset.table.column`, or the access.yaml key. */
  column: string;
  rule: (typeof RULES)[keyof typeof RULES];
  message: string;
}

/** Roles that may read bronze: the raw, unmasked landing data. */
const BRONZE_READERS = new Set(["data_engineer", "ingest_service"]);
const GOLD = "gold";

/** `pulse policy check`: every rule on the project; an empty list passes. */
export function checkPolicy(projectDir: string): Violation[] {
  const policy = loadAccessPolicy(projectDir);
  const graph = compileFor("duckdb", projectDir, {});
  const entries = catalog(graph);
  return [...piiRules(graph, columnLineage(entries)), ...ownerRule(policy, graph), ...bronzeRule(policy, projectDir), ...prodRule(policy, projectDir)];
}

/**
 * A column copied unchanged (IDENTITY in its column lineage, through any number of tables) from a PII column is PII:
 * in gold it must carry a policy tag itself, or BigQuery serves it to every reader of gold in the clear. A computed
 * column (a hash, an age bin from a date of birth) is not followed: it no longer holds the value.
 */
function piiRules(graph: CompiledGraph, lineage: Lineage): Violation[] {
  const tagged = piiColumns(graph);
  const vars = graph.projectConfig.vars ?? {};
  const violations: Violation[] = [];
  const database = graph.projectConfig.defaultDatabase;
  const full = (table: string) => `${database}.${table}`;
  // PII columns by full table name → column → where it comes from.
  const pii = new Map<string, PiiColumn>();
  for (const column of [...tagged.values()].flat()) {
    pii.set(`${full(column.table)}.${column.column}`, column);
    if (column.policyTag !== vars[POLICY_TAG_VARS.hash] && column.policyTag !== vars[POLICY_TAG_VARS.null]) {
      violations.push({
        file: column.fileName ?? "(project)",
        column: `${column.table}.${column.column}`,
        rule: RULES.unknownTag,
        message: `policy tag ${column.policyTag} is neither var ${POLICY_TAG_VARS.hash} nor ${POLICY_TAG_VARS.null}: pulse cannot tell how to mask it`,
      });
    }
  }
  const copiedFrom = new Map<string, string>();
  // Follow copies to a fixed point: lineage maps each table's columns to their inputs, in no particular order.
  for (let changed = true; changed;) {
    changed = false;
    for (const [table, { columns }] of Object.entries(lineage)) {
      for (const [column, inputs] of Object.entries(columns)) {
        const key = `${table}.${column}`;
        if (copiedFrom.has(key)) continue;
        const source = inputs.find((input) => input.subtype === "IDENTITY" && (pii.has(`${input.table}.${input.column}`) || copiedFrom.has(`${input.table}.${input.column}`)));
        if (!source) continue;
        copiedFrom.set(key, `${source.table}.${source.column}`);
        changed = true;
      }
    }
  }
  const files = new Map((graph.tables ?? []).map((t) => [`${t.target.database}.${t.target.schema}.${t.target.name}`, t.fileName]));
  for (const [key, source] of copiedFrom) {
    const [, schema, table, column] = key.split(".");
    if (schema !== GOLD || pii.has(key)) continue;
    violations.push({
      file: files.get(`${database}.${schema}.${table}`) ?? "(project)",
      column: `${schema}.${table}.${column}`,
      rule: RULES.piiInGold,
      message: `copies PII column ${source.split(".").slice(1).join(".")} but has no bigqueryPolicyTags: tag it (includes/pii.js) or mask it in the SQL`,
    });
  }
  return violations;
}

/** Every table, view and declared source has an owner and an access class (access.yaml tables.layers / overrides). */
function ownerRule(policy: AccessPolicy, graph: CompiledGraph): Violation[] {
  const relations = [...(graph.declarations ?? []), ...(graph.tables ?? [])];
  return relations.flatMap((relation) => {
    const table = `${relation.target.schema}.${relation.target.name}`;
    const { owner, class: accessClass } = ownership(policy, table);
    const missing = [owner ? undefined : "owner", accessClass ? undefined : "access class"].filter(Boolean);
    if (missing.length === 0) return [];
    return [
      {
        file: relation.fileName ?? "(project)",
        column: table,
        rule: RULES.owner,
        message: `no ${missing.join(" and no ")}: declare one in ${path.basename(policy.file)} under tables.layers.${relation.target.schema} or tables.overrides.${table}`,
      },
    ];
  });
}

function bronzeRule(policy: AccessPolicy, projectDir: string): Violation[] {
  const file = path.relative(projectDir, policy.file);
  return Object.entries(policy.environments).flatMap(([environment, env]) =>
    ROLES.filter((role) => !BRONZE_READERS.has(role)).flatMap((role) =>
      (env.access[role]?.read ?? [])
        .filter((scope) => scope.split(".")[0] === "bronze")
        .map((scope) => ({
          file,
          column: `environments.${environment}.access.${role}.read`,
          rule: RULES.bronzeReaders,
          message: `${role} reads ${scope}: only ${[...BRONZE_READERS].join(" and ")} may read bronze`,
        })),
    ),
  );
}

/**
 * Prod's writers are service accounts of the deployment and of ingest, never a person or group, and none of them is
 * a principal of dev: what a developer's machine holds (dev's identities) can never write prod.
 */
function prodRule(policy: AccessPolicy, projectDir: string): Violation[] {
  const prod = policy.environments.prod;
  if (!prod) return [];
  const file = path.relative(projectDir, policy.file);
  const devPrincipals = new Set(Object.values(policy.environments.dev?.principals ?? {}).flat());
  return ROLES.filter((role) => (prod.access[role]?.write ?? []).length > 0).flatMap((role) =>
    (prod.principals[role] ?? []).flatMap((principal) => {
      const reason = !principal.startsWith("serviceAccount:") ? "is not a service account" : devPrincipals.has(principal) ? "is also a principal of dev" : undefined;
      if (!reason) return [];
      return [{ file, column: `environments.prod.principals.${role}`, rule: RULES.prodFromDev, message: `${principal} writes prod (${role}) but ${reason}` }];
    }),
  );
}

/** `file: column: [rule] message`, one line each. */
export function violationLine(violation: Violation): string {
  return `${violation.file}: ${violation.column}: [${violation.rule}] ${violation.message}`;
}
