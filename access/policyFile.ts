import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { z } from "zod";
import { UserError } from "../lib/errors.js";

/** The roles pulse knows; access.yaml must declare exactly these. */
export const ROLES = ["data_engineer", "analyst", "data_scientist", "auditor", "ingest_service"] as const;
export type Role = (typeof ROLES)[number];
export const ACCESS_CLASSES = ["public", "internal", "confidential", "restricted"] as const;
export const PII_CLEARANCE = ["clear", "masked", "hidden"] as const;
import { DEFAULT_ENVIRONMENT } from "../environments/defaultEnvironment.js";

export { DEFAULT_ENVIRONMENT };
export const ACCESS_FILE = "access.yaml";

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a dataset or table name (letters, digits, _)");
/** `silver`, `silver.*` or `silver.users`. */
const scope = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\*))?$/, "a dataset (silver), all its tables (silver.*) or one table (silver.users)");
const tableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, "dataset.table");
/** BigQuery IAM members as GRANT takes them. */
const principal = z.string().regex(/^(user|group|serviceAccount|domain):[^\s"'\\]+$/, "user:, group:, serviceAccount: or domain: followed by an address");
const roleKey = z.enum(ROLES);
const ownership = z.strictObject({ owner: z.string().min(1).optional(), class: z.enum(ACCESS_CLASSES).optional() });

const environment = z.strictObject({
  access: z.partialRecord(roleKey, z.strictObject({ read: z.array(scope).default([]), write: z.array(scope).default([]) })),
  principals: z.partialRecord(roleKey, z.array(principal)).default({}),
  row_access: z
    .array(
      z.strictObject({
        name: identifier,
        table: tableName,
        roles: z.array(roleKey).min(1),
        /** A boolean SQL expression over the table's columns, valid in DuckDB and BigQuery alike. */
        filter: z.string().min(1),
      }),
    )
    .default([]),
  policy_tags: z.strictObject({ hash: z.string().min(1), null: z.string().min(1) }),
});

const policySchema = z.strictObject({
  roles: z.record(roleKey, z.strictObject({ pii: z.enum(PII_CLEARANCE), description: z.string().optional() })),
  tables: z.strictObject({
    layers: z.record(identifier, ownership),
    overrides: z.record(tableName, ownership).default({}),
  }),
  environments: z.record(identifier, environment),
});

export type AccessPolicy = z.infer<typeof policySchema> & { file: string };
export type EnvironmentPolicy = z.infer<typeof environment>;
export type RowAccessPolicy = EnvironmentPolicy["row_access"][number];

/** A zod issue as a line naming the file, the key and, for enums and keys, the allowed values. */
function issueLine(file: string, issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join(".") || "(top level)";
  const keys = issue.code === "invalid_key" || issue.code === "unrecognized_keys" ? allowedKeys(issue.path) : undefined;
  const allowed = issue.code === "invalid_value" ? ` (allowed: ${issue.values.map(String).join(", ")})` : keys ? ` (allowed: ${keys.join(", ")})` : "";
  return `${file}: ${key}: ${issue.message}${allowed}`;
}

/** The keys allowed where a key was refused: the top level's, or a role where roles are the keys. */
function allowedKeys(issuePath: PropertyKey[]): string[] | undefined {
  if (issuePath.length === 0) return ["roles", "tables", "environments"];
  const parent = String(issuePath.at(-1));
  return ["roles", "access", "principals"].includes(parent) ? [...ROLES] : undefined;
}

/** Reads and validates `<projectDir>/access.yaml`; every problem is reported with the file and key. */
export function loadAccessPolicy(projectDir: string): AccessPolicy {
  const file = path.join(projectDir, ACCESS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UserError(`${file}: not found (roles and access policy; see README "Environments and access")`, 2);
  }
  let parsed: unknown;
  try {
    parsed = yaml.load(text);
  } catch (error) {
    throw new UserError(`${file}: not valid YAML: ${(error as Error).message}`, 2);
  }
  const result = policySchema.safeParse(parsed ?? {});
  if (!result.success) throw new UserError(result.error.issues.map((issue) => issueLine(file, issue)).join("\n"), 2);
  return { ...result.data, file };
}

/** A role named on the command line, or a clear error with the allowed values. */
export function parseRole(value: string): Role {
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw new UserError(`unknown role '${value}' (allowed: ${ROLES.join(", ")})`, 2);
}

/** An environment's policy, or a clear error naming the file and the environments it declares. */
export function environmentPolicy(policy: AccessPolicy, name: string = DEFAULT_ENVIRONMENT): EnvironmentPolicy {
  const found = policy.environments[name];
  if (!found) throw new UserError(`${policy.file}: environments: no environment '${name}' (allowed: ${Object.keys(policy.environments).join(", ")})`, 2);
  return found;
}
