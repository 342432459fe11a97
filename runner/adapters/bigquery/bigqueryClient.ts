/**
 * The slice of @google-cloud/bigquery the adapter uses. The real client satisfies it; tests pass a
 * recording double at exactly this boundary, since BigQuery's network API cannot be reached offline.
 */
export interface BigQueryJobLike {
  id?: string;
  getQueryResults(options?: Record<string, unknown>): Promise<[Record<string, unknown>[], ...unknown[]]>;
  getMetadata(): Promise<[JobMetadata, ...unknown[]]>;
}

export interface JobMetadata {
  statistics?: {
    sessionInfo?: { sessionId?: string };
    /** A dry run's estimate (an int64 as a string); absent where the server does not compute it (the emulator, for DDL and DML). */
    totalBytesProcessed?: string;
    query?: { numDmlAffectedRows?: string; totalBytesProcessed?: string; schema?: { fields?: { name: string; type: string }[] } };
  };
}

export interface TableMetadata {
  type?: string;
  schema?: { fields?: { name: string; type: string }[] };
}

export interface BigQueryClientLike {
  /** The job, and the API's answer to inserting it: a dry run's only result, since BigQuery does not keep dry-run jobs. */
  createQueryJob(options: Record<string, unknown>): Promise<[BigQueryJobLike, JobMetadata?, ...unknown[]]>;
  dataset(
    id: string,
    options?: { projectId?: string; location?: string },
  ): {
    get(options: { autoCreate: boolean; location?: string }): Promise<unknown>;
    table(id: string): { getMetadata(): Promise<[TableMetadata, ...unknown[]]> };
  };
}
