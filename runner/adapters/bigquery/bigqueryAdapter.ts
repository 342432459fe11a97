import type { Target } from "../../compile/graph.js";
import { SessionAdapter, type Column, type RelationInfo, type StatementResult, type WarehouseAdapter, type WarehouseSession } from "../adapter.js";
import type { BigQueryClientLike, BigQueryJobLike } from "./bigqueryClient.js";
import { avoidMetadataServerProbe } from "../../../lib/googleAuth.js";
import { formatBytes } from "../../../lib/formatBytes.js";

export interface BigQueryOptions {
  client: BigQueryClientLike;
  /** Project that runs the jobs and owns targets without an explicit database. */
  projectId: string;
  location?: string;
  /**
   * `--maximum-bytes-billed`: set on every job (BigQuery fails a job over it), and checked with a dry run before
   * each statement, so an action over it fails before it changes anything rather than after its first statements.
   */
  maximumBytesBilled?: number;
}

/** A statement the cost guard refused: what it would process and the limit. */
export class BytesLimitError extends Error {}

function backtick(target: Target, projectId: string): string {
  return `\`${[target.database || projectId, target.schema, target.name].filter(Boolean).join(".")}\``;
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: number; errors?: { reason?: string }[] };
  return e.code === 404 || (e.errors ?? []).some((x) => x.reason === "notFound");
}

/**
 * Runs plans on BigQuery through @google-cloud/bigquery. Each action gets its own BigQuery session
 * (created by its first job), so the incremental batch's temp table lives exactly as long as the action.
 */
class BigQuerySession implements WarehouseSession {
  private sessionId: string | undefined;

  constructor(private readonly options: BigQueryOptions) {}

  private async run(query: string): Promise<BigQueryJobLike> {
    const limit = this.options.maximumBytesBilled;
    if (limit !== undefined) {
      const bytes = await this.estimateBytes(query);
      if (bytes !== undefined && bytes > limit) {
        throw new BytesLimitError(`refused before running: this statement would process ${formatBytes(bytes)}, over --maximum-bytes-billed ${formatBytes(limit)}`);
      }
    }
    const [job] = await this.options.client.createQueryJob({
      query,
      location: this.options.location,
      ...this.sessionProperties(true),
      ...(limit !== undefined ? { maximumBytesBilled: String(limit) } : {}),
    });
    return job;
  }

  private sessionProperties(create: boolean): Record<string, unknown> {
    if (this.sessionId) return { connectionProperties: [{ key: "session_id", value: this.sessionId }] };
    return create ? { createSession: true } : {};
  }

  /** A dry-run job in this action's session (so its temp tables resolve); BigQuery bills nothing for it. */
  async estimateBytes(sql: string): Promise<number | undefined> {
    const [, metadata] = await this.options.client.createQueryJob({ query: sql, location: this.options.location, dryRun: true, ...this.sessionProperties(false) });
    const bytes = metadata?.statistics?.totalBytesProcessed ?? metadata?.statistics?.query?.totalBytesProcessed;
    return bytes === undefined ? undefined : Number(bytes);
  }

  async execute(sql: string): Promise<StatementResult> {
    const job = await this.run(sql);
    await job.getQueryResults();
    const [metadata] = await job.getMetadata();
    this.sessionId ??= metadata.statistics?.sessionInfo?.sessionId;
    const affected = metadata.statistics?.query?.numDmlAffectedRows;
    return { rowsChanged: affected === undefined ? undefined : Number(affected) };
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const job = await this.run(sql);
    const [rows] = await job.getQueryResults();
    if (!this.sessionId) {
      const [metadata] = await job.getMetadata();
      this.sessionId = metadata.statistics?.sessionInfo?.sessionId;
    }
    return rows;
  }

  async describeRelation(target: Target): Promise<RelationInfo | undefined> {
    try {
      const dataset = this.options.client.dataset(target.schema ?? "", { projectId: target.database || this.options.projectId });
      const [metadata] = await dataset.table(target.name).getMetadata();
      return {
        kind: metadata.type === "VIEW" || metadata.type === "MATERIALIZED_VIEW" ? "view" : "table",
        columns: (metadata.schema?.fields ?? []).map((f) => ({ name: f.name, type: f.type })),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async describeQuery(sql: string): Promise<Column[]> {
    // A dry-run job validates the query and returns its schema without reading data (and without a session).
    // The insert's answer is all there is: a dry-run job is not kept, so looking it up (jobs.get) is a 404.
    const [, metadata] = await this.options.client.createQueryJob({ query: sql, location: this.options.location, dryRun: true });
    if (!metadata) throw new Error("BigQuery returned no statistics for a dry-run job");
    return (metadata.statistics?.query?.schema?.fields ?? []).map((f) => ({ name: f.name, type: f.type }));
  }
}

export class BigQueryAdapter extends SessionAdapter implements WarehouseAdapter {
  readonly dialect = "bigquery" as const;

  constructor(private readonly options: BigQueryOptions) {
    super();
  }

  relationName(target: Target): string {
    return backtick(target, this.options.projectId);
  }

  /** Dataform already renders BigQuery names. */
  async withSession<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    return fn(new BigQuerySession(this.options));
  }

  async ensureSchema(database: string | undefined, schema: string): Promise<void> {
    await this.options.client.dataset(schema, { projectId: database || this.options.projectId, location: this.options.location }).get({ autoCreate: true, location: this.options.location });
  }

  async close(): Promise<void> {}
}

/** The real client, loaded only when a BigQuery run is asked for (it is slow to import). */
export async function createBigQueryClient(projectId: string, location?: string): Promise<BigQueryClientLike> {
  avoidMetadataServerProbe();
  const { BigQuery } = await import("@google-cloud/bigquery");
  return new BigQuery({ projectId, location }) as unknown as BigQueryClientLike;
}
