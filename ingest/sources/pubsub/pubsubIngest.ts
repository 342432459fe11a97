import { Duration, type Message, type PubSub, type Subscription } from "@google-cloud/pubsub";
import { z } from "zod";
import type { BronzeRow } from "../../../lake/lakeWriter.js";
import { openBronzeTarget, type BronzeSinkSpec, type BronzeTarget } from "../../sink/bronzeTarget.js";
import { StreamSink, type FlushResult } from "../../sink/streamSink.js";
import type { MultiplexRecord } from "../../sink/multiplexBatch.js";
import { validatePayload } from "../../validate.js";
import type { StreamTopic } from "../../schemas/topics.js";
import { initialStreamState, recordFlush, StreamStateSaver, type StreamState } from "../../streamState.js";
import { RateMeter, formatCount } from "../../progressLine.js";
import { ensureSubscription, openPubSub } from "../../../lib/pubsubClient.js";

export interface SubscriptionBinding {
  subscription: string;
  feed: StreamTopic;
  /** Topic to create the subscription on when it does not exist (the emulator starts empty). */
  topic: string;
}

export interface PubsubIngestOptions {
  home: string;
  projectId: string;
  subscriptions: SubscriptionBinding[];
  maxBatch: number;
  flushMs: number;
  progressMs: number;
  /** The lake when absent. */
  sink?: BronzeSinkSpec;
  log: (line: string) => void;
}

/**
 * Producers (pulse produce --to pubsub) carry the Kafka envelope's key and timestamp as attributes; other
 * publishers may not, so a missing or malformed attribute falls back (no key; the publish time).
 */
const attributesSchema = z.object({
  key: z.string().optional(),
  timestamp: z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number)
    .optional(),
});

/** The most messages held unacked, whatever --max-batch says (20,000 ≈ 2 s of what the emulator delivers). */
const PUBSUB_MAX_UNACKED = 20_000;

/**
 * `pulse ingest --source pubsub`: streaming pull on each subscription into the bronze lake.
 *
 * Delivery: a message is acked only after the lake file holding it (or its dead letter) is renamed into
 * place. Pub/Sub has no offsets to resume from, so a process killed between the write and the ack gets
 * those messages again: delivery is at-least-once, and a redelivered message keeps its Pub/Sub message id,
 * which bronze stores as `message_id` and silver dedupes on (effectively once downstream).
 */
export class PubsubIngest {
  private readonly subscriptions: Subscription[] = [];
  private pending: Message[] = [];
  private stopping = false;
  private readonly rate = new RateMeter();
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly state: StreamState;
  private readonly stateSaver: StreamStateSaver;
  private fatal: ((error: Error) => void) | undefined;
  private readonly done: Promise<void>;
  private received = 0;

  private constructor(
    private readonly opts: PubsubIngestOptions,
    private readonly target: BronzeTarget,
    private readonly sink: StreamSink<Message[]>,
    private readonly pubsub: PubSub,
  ) {
    this.stateSaver = new StreamStateSaver(opts.home, opts.log);
    this.state = initialStreamState(
      "pubsub",
      opts.projectId,
      process.env.PUBSUB_EMULATOR_HOST ?? "pubsub.googleapis.com",
      opts.subscriptions.map((s) => s.subscription),
    );
    this.done = new Promise<void>((_, reject) => {
      this.fatal = reject;
    });
    this.done.catch(() => undefined);
  }

  static async start(opts: PubsubIngestOptions): Promise<PubsubIngest> {
    const pubsub = await openPubSub(opts.projectId);
    const target = await openBronzeTarget(opts.sink, opts.home);
    let self: PubsubIngest | undefined;
    const sink = new StreamSink<Message[]>(target, {
      maxRecords: opts.maxBatch,
      maxDelayMs: opts.flushMs,
      tag: `pubsub-${process.pid.toString(36)}`,
      checkpoint: () => self!.takeCheckpoint(),
      commit: async (messages) => {
        for (const m of messages) m.ack();
      },
      onFlushed: (result) => self!.onFlushed(result),
      onWriteFailed: (error) => opts.log(`${target.name} write failed, will retry (messages not acked): ${(error as Error).message}`),
    });
    self = new PubsubIngest(opts, target, sink, pubsub);
    await self.run();
    return self;
  }

  get failed(): Promise<void> {
    return this.done;
  }

  private async run(): Promise<void> {
    for (const b of this.opts.subscriptions) {
      if (await ensureSubscription(this.pubsub, b.subscription, b.topic)) this.opts.log(`created subscription ${b.subscription} on topic ${b.topic}`);
    }
    this.sink.start();
    for (const binding of this.opts.subscriptions) {
      const subscription = this.pubsub.subscription(binding.subscription, {
        // Unacked messages are the buffer: flow control caps them, so memory stays bounded under a burst. A Pub/Sub
        // message object holds far more than a Kafka run's joined text, hence a cap below the default --max-batch.
        flowControl: { maxMessages: Math.min(this.opts.maxBatch, PUBSUB_MAX_UNACKED), allowExcessMessages: false },
        closeOptions: { behavior: "NACK", timeout: Duration.from({ seconds: 2 }) },
      });
      const source = `pubsub:${binding.subscription}`;
      subscription.on("message", (message: Message) => this.onMessage(binding, source, message));
      subscription.on("error", (error: Error) => {
        this.opts.log(`subscription ${binding.subscription}: ${error.message}`);
        this.fatal?.(error);
      });
      this.subscriptions.push(subscription);
    }
    this.progressTimer = setInterval(() => this.printProgress(), this.opts.progressMs);
  }

  private onMessage(binding: SubscriptionBinding, source: string, message: Message): void {
    if (this.stopping) {
      message.nack();
      return;
    }
    this.received += 1;
    this.rate.add(1);
    const result = validatePayload(binding.feed, message.data);
    if (result.ok) {
      const attributes = attributesSchema.safeParse(message.attributes ?? {});
      const record: MultiplexRecord = {
        key: attributes.success ? (attributes.data.key ?? null) : null,
        value: result.value,
        topic: binding.feed,
        partition: null,
        offset: null,
        timestamp: (attributes.success ? attributes.data.timestamp : undefined) ?? message.publishTime.getTime(),
        messageId: message.id,
        source,
      };
      this.sink.accept(record);
    } else {
      this.sink.reject(deadLetterRow(binding, source, message, result.reason));
    }
    this.pending.push(message);
  }

  private takeCheckpoint(): Message[] {
    const messages = this.pending;
    this.pending = [];
    return messages;
  }

  private onFlushed(result: FlushResult<Message[]>): void {
    recordFlush(this.state, result);
    this.saveState();
  }

  private saveState(): void {
    this.stateSaver.save(this.state);
  }

  private printProgress(): void {
    this.opts.log(
      `${formatCount(this.rate.take())} msg/s · received ${formatCount(this.received)} · in lake ${formatCount(this.state.totals.records)} · dead letters ${formatCount(this.state.totals.deadLetters)} · awaiting ack ${formatCount(this.sink.buffered)}`,
    );
  }

  /** Graceful stop: write and ack what was received, nack anything after, close the streams. */
  async stop(deadlineMs = 8000): Promise<boolean> {
    this.stopping = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    const deadline = Date.now() + deadlineMs;
    this.sink.stop();
    const flushed = await this.sink.finalFlush(deadline - 3000, this.opts.log);
    if (!flushed) for (const m of this.takeCheckpoint()) m.nack();
    await Promise.all(this.subscriptions.map((s) => s.close().catch(() => undefined)));
    await this.pubsub.close().catch(() => undefined);
    this.state.stoppedAt = new Date().toISOString();
    this.saveState();
    await this.stateSaver.settled();
    this.printProgress();
    await this.target.close();
    return flushed;
  }
}

function deadLetterRow(binding: SubscriptionBinding, source: string, message: Message, reason: string): BronzeRow {
  return {
    source: `${binding.subscription}/${message.id}`,
    feed: binding.feed,
    line: null,
    raw: message.data,
    reason,
    dead_lettered_at: new Date(),
    _source: source,
    _source_line: null,
  };
}
