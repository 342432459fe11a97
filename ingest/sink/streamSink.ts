import type { BronzeRow, WrittenBatch } from "../../lake/lakeWriter.js";
import { MultiplexBatch, type MultiplexRecord, type RecordRun } from "./multiplexBatch.js";
import type { BronzeTarget } from "./bronzeTarget.js";
import { sleep } from "../../lib/sleep.js";

/** What a flush made durable, for progress output and the source's own bookkeeping. */
export interface FlushResult<C> {
  rows: number;
  deadLetters: number;
  files: WrittenBatch[];
  checkpoint: C;
  at: Date;
}

export interface StreamSinkOptions<C> {
  /** Flush when this many records (valid + dead letters) are buffered. */
  maxRecords: number;
  /** Flush at least this often while anything is buffered. */
  maxDelayMs: number;
  /** Batch-id suffix, so lake file names say which stream wrote them. */
  tag: string;
  /**
   * Taken synchronously when a buffer is sealed for writing: the source's "everything up to here" marker
   * (Kafka: highest offset per partition; Pub/Sub: the messages to ack). Exactly the records in that buffer.
   */
  checkpoint: () => C;
  /** Called once the sealed buffer is durable in bronze (lake or BigQuery): commit offsets / ack messages. */
  commit: (checkpoint: C) => Promise<void>;
  /** A sealed checkpoint that could not commit goes back to the source (merged into the next one). */
  onCommitFailed?: (checkpoint: C, error: unknown) => void;
  onFlushed?: (result: FlushResult<C>) => void;
  onWriteFailed?: (error: unknown) => void;
  /** True when the source has progress to commit even with no rows buffered (e.g. skipped replays). */
  hasPendingCheckpoint?: () => boolean;
}

interface Sealed<C> {
  rows: MultiplexBatch;
  deadLetters: BronzeRow[];
  checkpoint: C;
  deadLettersWritten: WrittenBatch | null | undefined;
}

/**
 * The bronze sink shared by the stream sources. Records accumulate in an open buffer; a flush seals it,
 * writes dead letters then rows to the bronze target (lake files, or BigQuery commits: each appears atomically),
 * and only then calls `commit`.
 * If a write fails the sealed buffer is kept and retried with back-off and nothing is committed, while the
 * open buffer keeps filling up to `maxRecords`; `waitForRoom` then holds the source, so memory stays bounded
 * at about two buffers whatever the broker or disk does.
 */
export class StreamSink<C> {
  private rows = new MultiplexBatch();
  private deadLetters: BronzeRow[] = [];
  private sealed: Sealed<C> | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = Date.now();
  private failures = 0;
  private retryAt = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly target: BronzeTarget,
    private readonly opts: StreamSinkOptions<C>,
  ) {}

  get buffered(): number {
    return this.rows.length + this.deadLetters.length + (this.sealed ? this.sealed.rows.length + this.sealed.deadLetters.length : 0);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.min(250, this.opts.maxDelayMs / 4)));
  }

  accept(row: MultiplexRecord): void {
    this.rows.push(row);
    this.kickIfFull();
  }

  /** A run of valid records at once (multiplexBatch.ts); like `accept`, it may seal the buffer once it is full. */
  acceptRun(run: RecordRun): void {
    this.rows.pushRun(run);
    this.kickIfFull();
  }

  /**
   * Records the open buffer takes before it is full. A source that takes at most this many before its next await
   * knows the buffer cannot be sealed in between, except right after the last of them.
   */
  get room(): number {
    return this.opts.maxRecords - this.openCount;
  }

  reject(deadLetter: BronzeRow): void {
    this.deadLetters.push(deadLetter);
    this.kickIfFull();
  }

  private get openCount(): number {
    return this.rows.length + this.deadLetters.length;
  }

  private kickIfFull(): void {
    if (this.openCount >= this.opts.maxRecords && !this.flushing && Date.now() >= this.retryAt) void this.flushInBackground();
  }

  /** Backpressure: resolves once the open buffer is below its limit (the source stops fetching meanwhile). */
  async waitForRoom(keepAlive?: () => Promise<void>): Promise<void> {
    while (this.openCount >= this.opts.maxRecords && this.timer !== undefined) {
      this.kickIfFull();
      await new Promise<void>((resolve) => {
        this.roomWaiters.push(resolve);
        setTimeout(resolve, 1000);
      });
      if (keepAlive) await keepAlive();
    }
  }

  private tick(): void {
    if (this.flushing || Date.now() < this.retryAt) return;
    const due = Date.now() - this.lastFlushAt >= this.opts.maxDelayMs;
    const hasWork = this.sealed !== undefined || this.openCount > 0 || (this.opts.hasPendingCheckpoint?.() ?? false);
    if ((due && hasWork) || this.openCount >= this.opts.maxRecords) void this.flushInBackground();
  }

  private flushInBackground(): Promise<void> {
    return this.flush().catch((error: unknown) => {
      this.failures += 1;
      this.retryAt = Date.now() + Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
      this.opts.onWriteFailed?.(error);
    });
  }

  /**
   * Writes everything buffered so far and commits it. Throws if the lake write fails (the records stay
   * buffered for the next attempt, nothing is committed). Concurrent calls share one flush.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.catch(() => undefined).then(() => this.flush());
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (!this.sealed) {
      if (this.openCount === 0 && !(this.opts.hasPendingCheckpoint?.() ?? false)) return;
      this.sealed = { rows: this.rows, deadLetters: this.deadLetters, checkpoint: this.opts.checkpoint(), deadLettersWritten: undefined };
      this.rows = new MultiplexBatch();
      this.deadLetters = [];
      this.releaseWaiters();
    }
    const batch = this.sealed;
    const files: WrittenBatch[] = [];
    // Dead letters first: progress is read back from kafka_multiplex files, so a crash between the two renames
    // replays the batch (dead letters may repeat) instead of skipping past records that never became durable.
    if (batch.deadLettersWritten === undefined) {
      batch.deadLettersWritten = batch.deadLetters.length > 0 ? await this.target.writeDeadLetters(batch.deadLetters, this.opts.tag) : null;
    }
    if (batch.deadLettersWritten) files.push(batch.deadLettersWritten);
    if (batch.rows.length > 0) files.push(await this.target.writeMultiplex(batch.rows, this.opts.tag));
    this.sealed = undefined;
    this.failures = 0;
    this.retryAt = 0;
    this.lastFlushAt = Date.now();
    try {
      await this.opts.commit(batch.checkpoint);
    } catch (error) {
      this.opts.onCommitFailed?.(batch.checkpoint, error);
    }
    this.opts.onFlushed?.({ rows: batch.rows.length, deadLetters: batch.deadLetters.length, files, checkpoint: batch.checkpoint, at: new Date() });
  }

  private releaseWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * The final flush of a stopping service: retried until it succeeds or `until` (epoch ms) passes.
   * Resolves false when what was buffered could not be written (the caller then must not commit it).
   */
  async finalFlush(until: number, log: (line: string) => void): Promise<boolean> {
    while (Date.now() < until) {
      try {
        await this.flush();
        return true;
      } catch (error) {
        log(`final flush failed: ${(error as Error).message}`);
        await sleep(300, { unref: true });
      }
    }
    return false;
  }

  /** Stops the timer; the caller flushes what is left (and decides what a failing final flush means). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.releaseWaiters();
  }
}
