import type { AccessPolicy, EnvironmentPolicy, Role } from "./policyFile.js";

/** `silver` and `silver.*` cover every table of silver; `silver.users` only that table. */
export function scopeCovers(scope: string, table: string): boolean {
  const [dataset, name] = scope.split(".");
  const [tableDataset, tableName] = table.split(".");
  return dataset === tableDataset && (name === undefined || name === "*" || name === tableName);
}

/** Whether `role` may read `dataset.table` in the environment. */
export function mayRead(environment: EnvironmentPolicy, role: Role, table: string): boolean {
  return (environment.access[role]?.read ?? []).some((scope) => scopeCovers(scope, table));
}

/** Whether `role` may write `dataset.table` in the environment. */
export function mayWrite(environment: EnvironmentPolicy, role: Role, table: string): boolean {
  return (environment.access[role]?.write ?? []).some((scope) => scopeCovers(scope, table));
}

/** A role with no write scope in the environment: `pulse query --role` refuses every write for it. */
export function isReadOnly(environment: EnvironmentPolicy, role: Role): boolean {
  return (environment.access[role]?.write ?? []).length === 0;
}

/** Owner and access class of `dataset.table`: the table's override over its layer's default. */
export function ownership(policy: AccessPolicy, table: string): { owner?: string; class?: string } {
  const layer = policy.tables.layers[table.split(".")[0]!] ?? {};
  const override = policy.tables.overrides[table] ?? {};
  return { owner: override.owner ?? layer.owner, class: override.class ?? layer.class };
}
