import type { adapt as Adapt, managedwriter as ManagedWriter } from "@google-cloud/bigquery-storage";
import { UserError } from "../../../lib/errors.js";
import { avoidMetadataServerProbe } from "../../../lib/googleAuth.js";

/** A row as the managed writer's JSON encoder takes it: Date for DATE/TIMESTAMP, Buffer for BYTES, a decimal string for an INT64 beyond 2^53 (never a bigint). */
export type StorageRow = Record<string, string | number | boolean | Date | Buffer | null>;

/** A REST-style column: what the bronze contract names (lake/bronzeTables.ts). */
export interface StorageColumn {
  name: string;
  type: string;
}

/**
 * Where the Storage Write API is. Google's clients have no emulator variable for it (BIGQUERY_EMULATOR_HOST is
 * the REST base URL), so pulse reads BIGQUERY_STORAGE_EMULATOR_HOST=host:port (the emulator's gRPC port) and
 * then talks plaintext gRPC without credentials, as the emulator expects.
 */
export function storageEmulatorHost(): { host: string; port: number } | undefined {
  const value = process.env.BIGQUERY_STORAGE_EMULATOR_HOST;
  if (!value) return undefined;
  const match = /^([^:]+):(\d+)$/.exec(value);
  if (!match) throw new UserError(`BIGQUERY_STORAGE_EMULATOR_HOST='${value}': expected host:port (the emulator's gRPC port, e.g. 127.0.0.1:9060)`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** Real BigQuery caps one AppendRows request at 10 MB; staying well under it leaves room for encoding overhead. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Appends batches of rows through the Storage Write API, each batch all-or-nothing: rows go to a new PENDING
 * stream, which is finalized and then committed with BatchCommitWriteStreams. Rows become visible only at that
 * commit, so a process killed mid-append leaves nothing behind (the uncommitted stream is discarded), and the
 * caller's "confirmed" means committed. The emulator (v0.8.1) supports exactly this; it neither checks append
 * offsets nor keeps a COMMITTED stream's offset for recovery, which is why offset-checked appends are not used.
 */
export class StorageWriter {
  private readonly descriptors = new Map<string, ReturnType<typeof Adapt.convertStorageSchemaToProto2Descriptor>>();

  private constructor(
    private readonly mw: typeof ManagedWriter,
    private readonly adapt: typeof Adapt,
    private readonly client: ManagedWriter.WriterClient,
    private readonly projectId: string,
  ) {}

  /** Loaded lazily: the client library (gRPC, protobufs) takes a second to import, and only this sink needs it. */
  static async open(projectId: string): Promise<StorageWriter> {
    avoidMetadataServerProbe();
    const { managedwriter, adapt } = await import("@google-cloud/bigquery-storage");
    const emulator = storageEmulatorHost();
    const { grpc } = await import("google-gax");
    const client = new managedwriter.WriterClient(emulator ? { projectId, apiEndpoint: emulator.host, port: emulator.port, sslCreds: grpc.credentials.createInsecure() } : { projectId });
    // Retries inside the writer would re-send an append the server may have taken; a failed batch is retried whole instead.
    client.enableWriteRetries(false);
    return new StorageWriter(managedwriter, adapt, client, projectId);
  }

  /** `projects/<p>/datasets/<d>/tables/<t>`. */
  tablePath(dataset: string, table: string): string {
    return `projects/${this.projectId}/datasets/${dataset}/tables/${table}`;
  }

  private descriptor(table: string, columns: readonly StorageColumn[]) {
    let descriptor = this.descriptors.get(table);
    if (!descriptor) {
      const storageSchema = this.adapt.convertBigQuerySchemaToStorageTableSchema({ fields: columns.map((c) => ({ name: c.name, type: c.type, mode: "NULLABLE" })) });
      descriptor = this.adapt.convertStorageSchemaToProto2Descriptor(storageSchema, "root");
      this.descriptors.set(table, descriptor);
    }
    return descriptor;
  }

  /**
   * Writes `rows` to `tablePath` and commits them as one unit; resolves once BigQuery has committed them
   * (returns the stream name), throws if any part failed (then none of the rows is visible).
   */
  async appendBatch(tablePath: string, columns: readonly StorageColumn[], rows: readonly StorageRow[], approxRowBytes: (row: StorageRow) => number): Promise<string> {
    const { client, mw } = this;
    const streamId = await client.createWriteStream({ streamType: mw.PendingStream, destinationTable: tablePath });
    const connection = await client.createStreamConnection({ streamId });
    const writer = new mw.JSONWriter({ connection, protoDescriptor: this.descriptor(tablePath, columns) });
    try {
      const pending: ReturnType<typeof writer.appendRows>[] = [];
      let offset = 0;
      for (const chunk of chunksBySize(rows, approxRowBytes)) {
        pending.push(writer.appendRows(chunk as never, offset));
        offset += chunk.length;
      }
      for (const result of await Promise.all(pending.map((p) => p.getResult()))) {
        if (result.error) throw new Error(`append to ${tablePath} failed: ${result.error.message ?? `code ${result.error.code}`}`);
        if (result.rowErrors && result.rowErrors.length > 0) throw new Error(`append to ${tablePath} rejected ${result.rowErrors.length} row(s): ${result.rowErrors[0]!.message}`);
      }
      const finalized = await connection.finalize();
      if (finalized && Number(finalized.rowCount ?? offset) !== offset) throw new Error(`stream ${streamId} finalized with ${String(finalized.rowCount)} rows, ${offset} sent`);
      const commit = await client.batchCommitWriteStream({ parent: tablePath, writeStreams: [streamId] });
      const errors = commit.streamErrors ?? [];
      if (errors.length > 0) throw new Error(`commit of ${tablePath} failed: ${errors.map((e) => e.errorMessage).join("; ")}`);
      return streamId;
    } finally {
      writer.close();
      connection.close();
    }
  }

  close(): void {
    this.client.close();
  }
}

function* chunksBySize<T extends StorageRow>(rows: readonly T[], size: (row: T) => number): Iterable<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = size(row);
    if (chunk.length > 0 && bytes + rowBytes > MAX_REQUEST_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += rowBytes;
  }
  if (chunk.length > 0) yield chunk;
}
