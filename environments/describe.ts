import path from "node:path";
import { textTable } from "../lib/textTable.js";
import { readWorkflowSettings } from "../runner/projectSettings.js";
import { officialFlags, type ResolvedEnvironment } from "./environments.js";

export interface EnvironmentDescription {
  name: string;
  description?: string;
  declaredIn: string;
  /** Its local state: warehouse, lake, landing (`<PULSE_HOME>/<env>/`). */
  state: string;
  developerWrites: boolean;
  /** The BigQuery project its tables go to, and how dataset and table names change. */
  bigquery: { database: string; datasets: string; tables: string };
  vars: Record<string, string>;
  /** The official CLI's flags giving the same targets, and the commands with them. */
  dataformFlags: string[];
  dataformCompile: string;
  lines: string[];
}

/** What `env` resolves to, in the words `pulse env list|show` prints. */
export function describeEnvironment(env: ResolvedEnvironment, home: string, projectDir: string): EnvironmentDescription {
  const settings = readWorkflowSettings(projectDir);
  const database = env.bigquery.defaultDatabase ?? settings.defaultProject ?? "(workflow_settings.yaml defaultProject)";
  const dataset = settings.defaultDataset ?? "dataset";
  const suffix = env.bigquery.schemaSuffix ? `_${env.bigquery.schemaSuffix}` : "";
  const prefix = env.bigquery.tablePrefix ? `${env.bigquery.tablePrefix}_` : "";
  const flags = officialFlags(env);
  const described = {
    name: env.name,
    ...(env.description ? { description: env.description } : {}),
    declaredIn: env.source,
    state: path.join(home, env.name),
    developerWrites: env.developerWrites,
    bigquery: {
      database,
      datasets: suffix ? `<dataset>${suffix} (${dataset} → ${dataset}${suffix}; declared sources keep theirs)` : "as declared",
      tables: prefix ? `${prefix}<name>` : "as declared",
    },
    vars: env.vars,
    dataformFlags: flags,
    dataformCompile: ["npx dataform compile", ...flags].join(" "),
  };
  const lines = [
    `environment ${env.name}${env.description ? `: ${env.description}` : ""} (${env.source})`,
    `  local state     ${described.state}`,
    `  written from    ${env.developerWrites ? "any machine" : "a deploy only (PULSE_DEPLOY=" + env.name + ", set by scripts/ciStage.ts)"}`,
    `  BigQuery        project ${database}; datasets ${described.bigquery.datasets}; tables ${described.bigquery.tables}`,
    `  vars            ${
      Object.entries(env.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "(workflow_settings.yaml's)"
    }`,
    `  dataform flags  ${flags.join(" ") || "(none)"}`,
    `  same targets    ${described.dataformCompile}  (and npx dataform run with the same flags)`,
  ];
  return { ...described, lines };
}

/** `pulse env list`: one row per environment. */
export function environmentTable(described: EnvironmentDescription[]): string {
  return textTable(
    ["env", "state", "developer writes", "BigQuery project", "dataform flags"],
    described.map((d) => [d.name, d.state, d.developerWrites ? "yes" : "no (deploy only)", d.bigquery.database, d.dataformFlags.join(" ") || "(none)"]),
  );
}
