import { UserError } from "../lib/errors.js";
import type { GrantsPlan } from "./grantsPlan.js";

/**
 * The slice of @google-cloud/bigquery `grants apply` uses; the real client satisfies it. The BigQuery emulator
 * (goccy 0.8.1) answers GRANT with success without checking the table exists and refuses CREATE ROW ACCESS POLICY
 * ("Statement not supported"), so tests check the statements sent through a recording client at exactly this
 * boundary; the emulator does keep policy tags in schemas, which tests/access/grantsEmulator.test.ts checks.
 */
export interface GrantsClient {
  createQueryJob(options: { query: string; location?: string }): Promise<[{ getQueryResults(): Promise<unknown> }, ...unknown[]]>;
  dataset(id: string, options?: { projectId?: string }): { table(id: string): TableHandle };
}

interface SchemaField {
  name: string;
  policyTags?: { names: string[] };
  [key: string]: unknown;
}

interface TableHandle {
  getMetadata(): Promise<[{ schema?: { fields?: SchemaField[] } }, ...unknown[]]>;
  setMetadata(metadata: { schema: { fields: SchemaField[] } }): Promise<unknown>;
}

export interface ApplyReport {
  statements: number;
  /** `project.dataset.table` whose schema got policy tags. */
  tagged: string[];
  /** Tables of the plan's policy tags that do not exist yet (a later run creates them; apply again then). */
  missing: string[];
}

/**
 * `pulse grants apply`: each DCL statement as a query job, in the plan's order (a failure stops there, naming the
 * statement); then the PII columns' policy tags, written into each table's schema (tables.patch), as
 * `dataform run` does from the same SQLX columns config.
 */
export async function applyGrants(plan: GrantsPlan, client: GrantsClient, options: { location?: string } = {}): Promise<ApplyReport> {
  for (const query of plan.statements) {
    try {
      const [job] = await client.createQueryJob({ query, location: options.location });
      await job.getQueryResults();
    } catch (error) {
      throw new UserError(`grants apply: BigQuery refused\n  ${query}\n${(error as Error).message}`, 1);
    }
  }
  const byTable = new Map<string, Map<string, string>>();
  for (const tag of plan.policyTags) byTable.set(tag.table, (byTable.get(tag.table) ?? new Map()).set(tag.column, tag.policyTag));
  const report: ApplyReport = { statements: plan.statements.length, tagged: [], missing: [] };
  for (const [table, columns] of byTable) {
    const [projectId, dataset, name] = table.split(".") as [string, string, string];
    const handle = client.dataset(dataset, { projectId }).table(name);
    let fields: SchemaField[];
    try {
      fields = (await handle.getMetadata())[0].schema?.fields ?? [];
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
      report.missing.push(table);
      continue;
    }
    const updated = fields.map((field) => (columns.has(field.name) ? { ...field, policyTags: { names: [columns.get(field.name)!] } } : field));
    await handle.setMetadata({ schema: { fields: updated } });
    report.tagged.push(table);
  }
  return report;
}
