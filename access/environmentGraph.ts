import type { CompiledGraph } from "../runner/compile/graph.js";
import { compileFor } from "../runner/runProject.js";
import { POLICY_TAG_VARS } from "./piiColumns.js";
import { environmentPolicy, type AccessPolicy } from "./policyFile.js";

/** The vars that give includes/pii.js an environment's policy tags (the same `--vars` make `dataform compile` agree). */
export function policyTagVars(policy: AccessPolicy, environment: string): Record<string, string> {
  const tags = environmentPolicy(policy, environment).policy_tags;
  return { [POLICY_TAG_VARS.hash]: tags.hash, [POLICY_TAG_VARS.null]: tags.null };
}

/** The project compiled for BigQuery as `environment` deploys it: its policy tags, and its GCP project when given. */
export function bigQueryGraphFor(projectDir: string, policy: AccessPolicy, environment: string, gcpProject?: string): CompiledGraph {
  return compileFor("bigquery", projectDir, policyTagVars(policy, environment), gcpProject ? { defaultDatabase: gcpProject } : {});
}
