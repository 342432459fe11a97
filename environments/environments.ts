import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { z } from "zod";
import { UserError } from "../lib/errors.js";
import { officialOverrideFlags, type ProjectConfigOverride } from "../runner/compile/compile.js";

/** The file at the project root that declares the environments. */
export const ENVIRONMENTS_FILE = "environments.yaml";
import { DEFAULT_ENVIRONMENT } from "./defaultEnvironment.js";

export { DEFAULT_ENVIRONMENT };

/**
 * Names a folder under PULSE_HOME, so it must not be one of the single-environment layout's entries
 * (those are moved into `dev/` on first use, envHome.ts).
 */
const RESERVED = ["warehouse", "lake", "landing", "quarantine"];
const EnvName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, "an environment name is lower-case letters, digits and _ (a folder under PULSE_HOME)")
  .refine((name) => !RESERVED.includes(name), `reserved for the home's own folders (${RESERVED.join(", ")})`);

/** Dataform's own compile overrides (`dataform compile --default-database ... --schema-suffix ... --table-prefix ...`). */
const BigQueryMapping = z.strictObject({
  defaultDatabase: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id (6-30 lower-case letters, digits, hyphens)")
    .optional(),
  schemaSuffix: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, "letters, digits and _ (it ends dataset names)")
    .optional(),
  tablePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, "letters, digits and _ (it starts table names)")
    .optional(),
});

const Environment = z.strictObject({
  description: z.string().optional(),
  bigquery: BigQueryMapping.default({}),
  /** Dataform vars (strings, as `--vars`); they override workflow_settings.yaml's and are overridden by `--vars`. */
  vars: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a var name"), z.string().regex(/^[^,\s](?:[^,]*[^,\s])?$/, "a non-empty value without commas or edge spaces (as --vars takes it)"))
    .default({}),
  /** false: only a deploy (PULSE_DEPLOY=<name>, set by scripts/ciStage.ts on CI) may write it. */
  developerWrites: z.boolean(),
});

const EnvironmentsFile = z.strictObject({
  environments: z.record(EnvName, Environment).refine((envs) => DEFAULT_ENVIRONMENT in envs, `must declare '${DEFAULT_ENVIRONMENT}', the default environment`),
});

export type EnvironmentSpec = z.infer<typeof Environment>;
export interface ResolvedEnvironment extends EnvironmentSpec {
  name: string;
  /** Where it was declared (the file, or "built-in" for a project without environments.yaml). */
  source: string;
}

/** A project without environments.yaml (the test fixtures) has these: same targets everywhere, prod not writable from a laptop. */
const BUILT_IN: Record<string, EnvironmentSpec> = {
  dev: { bigquery: {}, vars: {}, developerWrites: true },
  qa: { bigquery: { schemaSuffix: "qa" }, vars: {}, developerWrites: true },
  prod: { bigquery: {}, vars: {}, developerWrites: false },
};

/** Every environment of the project, in declaration order. */
export function loadEnvironments(projectDir: string): ResolvedEnvironment[] {
  const file = path.join(projectDir, ENVIRONMENTS_FILE);
  if (!fs.existsSync(file)) return Object.entries(BUILT_IN).map(([name, spec]) => ({ name, source: "built-in", ...spec }));
  let parsed: unknown;
  try {
    parsed = yaml.load(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const result = EnvironmentsFile.safeParse(parsed ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      // A bad environment name is reported by zod as "Invalid key in record", its reasons nested.
      const reasons = issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join("; ") : issue.message;
      return `${issue.path.join(".") || "(top level)"}: ${reasons}`;
    });
    throw new UserError(`${file}: ${issues.join("; ")}`);
  }
  return Object.entries(result.data.environments).map(([name, spec]) => ({ name, source: file, ...spec }));
}

/** One environment by name; an unknown name is a usage error (exit 2) listing the declared ones. */
export function resolveEnvironment(projectDir: string, name: string, flag = "--env"): ResolvedEnvironment {
  const all = loadEnvironments(projectDir);
  const found = all.find((env) => env.name === name);
  if (!found) {
    const where = all[0]?.source === "built-in" ? "built-in environments (no environments.yaml)" : all[0]!.source;
    throw new UserError(`${flag}: unknown environment '${name}' (${where} declares: ${all.map((env) => env.name).join(", ")})`, 2);
  }
  return found;
}

/** The vars a compile for `env` gets: the environment's, then the command line's. */
export function environmentVars(env: ResolvedEnvironment, flags: Record<string, string> = {}): Record<string, string> {
  return { ...env.vars, ...flags };
}

/** The environment's BigQuery mapping as a compile override: what `dataform compile` gets from its flags. */
export function bigQueryOverride(env: ResolvedEnvironment): ProjectConfigOverride {
  return { ...env.bigquery };
}

/** The official CLI's flags that give `env`'s targets: `dataform compile|run <flags>`. */
export function officialFlags(env: ResolvedEnvironment): string[] {
  return officialOverrideFlags({ ...env.bigquery, vars: env.vars });
}
