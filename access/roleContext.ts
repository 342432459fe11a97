import { compileFor } from "../runner/runProject.js";
import { piiColumns } from "./piiColumns.js";
import { environmentPolicy, loadAccessPolicy, parseRole, DEFAULT_ENVIRONMENT } from "./policyFile.js";
import type { RoleContext } from "./queryPolicy.js";

/** Everything `pulse query --role` checks against: access.yaml's policy for the environment and the graph's PII columns. */
export function roleContext(projectDir: string, role: string, environment: string = DEFAULT_ENVIRONMENT): RoleContext {
  const policy = loadAccessPolicy(projectDir);
  const parsed = parseRole(role);
  return {
    role: parsed,
    environment,
    policy: environmentPolicy(policy, environment),
    clearance: policy.roles[parsed].pii,
    pii: piiColumns(compileFor("duckdb", projectDir, {})),
  };
}
