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

/**
 * How long one stream call (create, finalize, commit) retries a BigQuery that does not answer before it fails
 * (pauses of 1 s doubling to 5 s, so it ends at most 5 s past this). The client's own settings retry an unreachable
 * server for 600 s per call, 1,200 s to create a stream: with the emulator killed between two batches of a landing
 * load, the load was still waiting, silent, after 90 s; with this deadline it exits 1 after 65–69 s. A minute rides
 * out a blip; past it the load fails in one line, and the next run resumes from what BigQuery committed. Once a
 * batch's last part is sent, its appends fail after as long without any answer: a lost connection fails them at
 * once, but a server that stops answering (the emulator frozen with SIGSTOP, its connection open) held a batch 42 s,
 * until the connection's keepalive gave up.
 */
export const STORAGE_CALL_DEADLINE_MS = 60_000;

/** The Storage Write client's settings for the calls a batch makes, retried as the client does but for `totalMs` at most. */
function boundedCalls(totalMs: number) {
  const call = { timeout_millis: totalMs, retry_codes_name: "transient", retry_params_name: "bounded" };
  return {
    interfaces: {
      "google.cloud.bigquery.storage.v1.BigQueryWrite": {
        retry_codes: { transient: ["DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "UNAVAILABLE"] },
        retry_params: {
          bounded: {
            initial_retry_delay_millis: 1_000,
            retry_delay_multiplier: 2,
            max_retry_delay_millis: 5_000,
            initial_rpc_timeout_millis: 30_000,
            rpc_timeout_multiplier: 1,
            max_rpc_timeout_millis: 30_000,
            total_timeout_millis: totalMs,
          },
        },
        methods: { CreateWriteStream: call, FinalizeWriteStream: call, BatchCommitWriteStreams: call },
      },
    },
  };
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
    private readonly callDeadlineMs: number,
  ) {}

  /**
   * Loaded lazily: the client library (gRPC, protobufs) takes a second to import, and only this sink needs it.
   * `callDeadlineMs`: STORAGE_CALL_DEADLINE_MS; a test of the deadline sets seconds instead of a minute.
   */
  static async open(projectId: string, callDeadlineMs = STORAGE_CALL_DEADLINE_MS): Promise<StorageWriter> {
    avoidMetadataServerProbe();
    const { managedwriter, adapt } = await import("@google-cloud/bigquery-storage");
    const emulator = storageEmulatorHost();
    const { grpc } = await import("google-gax");
    const clientConfig = boundedCalls(callDeadlineMs);
    const client = new managedwriter.WriterClient(
      emulator ? { projectId, clientConfig, apiEndpoint: emulator.host, port: emulator.port, sslCreds: grpc.credentials.createInsecure() } : { projectId, clientConfig },
    );
    // Retries inside the writer would re-send an append the server may have taken; a failed batch is retried whole instead.
    client.enableWriteRetries(false);
    return new StorageWriter(managedwriter, adapt, client, projectId, callDeadlineMs);
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
   * (returns the stream name), throws if any part failed (then none of the rows is visible). `rows` may come in
   * parts (a landing file read page by page), all in the one stream.
   */
  async appendBatch(
    tablePath: string,
    columns: readonly StorageColumn[],
    rows: readonly StorageRow[] | AsyncIterable<readonly StorageRow[]>,
    approxRowBytes: (row: StorageRow) => number,
  ): Promise<string> {
    const { client, mw } = this;
    const streamId = await step("creating a write stream", client.createWriteStream({ streamType: mw.PendingStream, destinationTable: tablePath }));
    const connection = await step("opening the append connection", client.createStreamConnection({ streamId }));
    const writer = new mw.JSONWriter({ connection, protoDescriptor: this.descriptor(tablePath, columns) });
    try {
      const pending: Promise<AppendResult>[] = [];
      let offset = 0;
      for await (const part of Symbol.asyncIterator in rows ? rows : [rows as readonly StorageRow[]]) {
        for (const chunk of chunksBySize(part, approxRowBytes)) {
          const result = writer.appendRows(chunk as never, offset).getResult();
          // Handled now, awaited below: an append failing (the connection lost) while later parts are still read
          // must not end the process as an unhandled rejection, with a stack trace instead of this batch's error.
          result.catch(() => undefined);
          pending.push(result);
          offset += chunk.length;
        }
      }
      for (const result of await step("appending rows", allAnswered(pending, this.callDeadlineMs))) {
        if (result.error) throw new Error(`append to ${tablePath} failed: ${result.error.message ?? `code ${result.error.code}`}`);
        if (result.rowErrors && result.rowErrors.length > 0) throw new Error(`append to ${tablePath} rejected ${result.rowErrors.length} row(s): ${result.rowErrors[0]!.message}`);
      }
      const finalized = await step("finalizing the stream", connection.finalize());
      if (finalized && Number(finalized.rowCount ?? offset) !== offset) throw new Error(`stream ${streamId} finalized with ${String(finalized.rowCount)} rows, ${offset} sent`);
      const commit = await step("committing the stream", client.batchCommitWriteStream({ parent: tablePath, writeStreams: [streamId] }));
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
    // The channel too: a call still retrying an unreachable BigQuery (another lane's batch, after the load failed)
    // then fails at its next attempt instead of holding the process for the rest of its deadline.
    void this.client.getClient().close();
  }
}

type AppendResult = Awaited<ReturnType<ReturnType<ManagedWriter.JSONWriter["appendRows"]>["getResult"]>>;

/**
 * A Storage Write call's failure as one line naming the call: gRPC's status text, without the log of every
 * retry the client appends to a call it gave up on (15 copies of the same ECONNREFUSED after 60 s).
 */
async function step<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const retried = /^Total timeout of API \S+ exceeded (\d+) milliseconds retrying error (?:Error: )?(.*?)\s+before any response was received/s.exec(text);
    const cause = (retried?.[2] ?? text).replace(/\s*Resolution note:\s*$/, "").replace(/\s+/g, " ");
    throw new Error(retried ? `${what}: no answer within ${Number(retried[1]) / 1000} s (${cause})` : `${what}: ${cause}`);
  }
}

/**
 * Every append's answer, or a failure once `ms` pass with appends outstanding and none answered. Silence, not the
 * whole wait, is bounded: a large file's appends are queued faster than a slow link sends them, and each answer
 * that arrives shows the server is still there.
 */
async function allAnswered<T>(appends: readonly Promise<T>[], ms: number): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  let fail: (error: Error) => void = () => undefined;
  const silence = new Promise<never>((_, reject) => (fail = reject));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => fail(new Error(`no answer within ${ms / 1000} s`)), ms);
  };
  arm();
  for (const append of appends) append.then(arm, arm);
  try {
    return await Promise.race([Promise.all(appends), silence]);
  } finally {
    clearTimeout(timer);
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
