import type { CompiledGraph, Target } from "../runner/compile/graph.js";

/** How a PII column is masked for a role without clearance, from its policy tag (includes/pii.js). */
export type Masking = "hash" | "null";

export interface PiiColumn {
  /** `dataset.table` */
  table: string;
  column: string;
  masking: Masking;
  policyTag: string;
  fileName?: string;
}

/** The vars that name the environment's policy tags (includes/pii.js reads the same). */
export const POLICY_TAG_VARS = { hash: "pii_policy_tag_hash", null: "pii_policy_tag_null" } as const;

/**
 * Every column the SQLX `columns` config tags with a BigQuery policy tag, keyed `dataset.table`. The tag says how it
 * is masked: the graph's var pii_policy_tag_hash or pii_policy_tag_null. A tag that is neither counts as null-masked
 * here (the safe side); `pulse policy check` reports it.
 */
export function piiColumns(graph: CompiledGraph): Map<string, PiiColumn[]> {
  const vars = graph.projectConfig.vars ?? {};
  const found = new Map<string, PiiColumn[]>();
  const relations: { target: Target; fileName?: string; actionDescriptor?: { columns?: { path: string[]; bigqueryPolicyTags?: string[] }[] } }[] = [
    ...(graph.declarations ?? []),
    ...(graph.tables ?? []),
  ];
  for (const relation of relations) {
    const table = `${relation.target.schema}.${relation.target.name}`;
    for (const column of relation.actionDescriptor?.columns ?? []) {
      const tag = column.bigqueryPolicyTags?.[0];
      if (!tag) continue;
      const masking: Masking = tag === vars[POLICY_TAG_VARS.hash] ? "hash" : "null";
      const list = found.get(table) ?? [];
      list.push({ table, column: column.path.join("."), masking, policyTag: tag, fileName: relation.fileName });
      found.set(table, list);
    }
  }
  return found;
}
