import { setTimeout as delay } from "node:timers/promises";
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage, type LogEntry } from "kafkajs";
import { openBronzeTarget, type BronzeSinkSpec, type BronzeTarget } from "../../sink/bronzeTarget.js";
import { StreamSink, type FlushResult } from "../../sink/streamSink.js";
import { validatePayload } from "../../validate.js";
import type { StreamTopic } from "../../schemas/topics.js";
import { initialStreamState, recordFlush, StreamStateSaver, type StreamPosition, type StreamState } from "../../streamState.js";
import { RateMeter, formatCount } from "../../progressLine.js";
import { LakeOffsets, partitionKey, type PartitionKey } from "./lakeOffsets.js";
import { deadLetterRow, multiplexRecord, recordRun, type MessageOrigin } from "./records.js";
import { sleep } from "../../../lib/sleep.js";
import { kafkaSource } from "./incarnation.js";
import { recreationEvidence, type ServedMessage } from "./recreatedPartition.js";

export interface KafkaTopicBinding {
  /** The topic's name on the broker (with any prefix). */
  brokerTopic: string;
  /** Which payload schema and bronze `topic` value it carries. */
  feed: StreamTopic;
}

export interface KafkaIngestOptions {
  home: string;
  brokers: string[];
  group: string;
  topics: KafkaTopicBinding[];
  maxBatch: number;
  flushMs: number;
  progressMs: number;
  /** The lake when absent. */
  sink?: BronzeSinkSpec;
  log: (line: string) => void;
}

interface Highest {
  topic: string;
  partition: number;
  incarnation: number;
  offset: number;
}

type Checkpoint = Map<PartitionKey, Highest>;

/**
 * `pulse ingest --source kafka`: a consumer group reading the three feeds into the bronze lake.
 *
 * Delivery: a message's offset is committed only after the lake file holding it (or its dead letter) has
 * been renamed into place. Progress is read back from the lake itself (LakeOffsets): on every group join
 * the partitions' durable offsets are refreshed, and any message at or below them is skipped, so a process
 * killed between a lake write and its offset commit re-reads those messages but never writes them twice.
 * kafka_multiplex therefore holds each (topic, partition, offset) exactly once; dead_letters is written
 * just before it and may repeat a rejected message if the process dies between the two renames.
 * With several processes in the group, a partition that moves while its old owner still buffers records can be
 * read again by the new owner (its lake refresh at the join came first): those repeat, unchanged, and silver
 * dedupes them by message id.
 */
export class KafkaIngest {
  private readonly consumer: Consumer;
  private readonly feedOf = new Map<string, StreamTopic>();
  /** Highest offset per partition already in a buffer or the lake: the replay filter. */
  private readonly handled = new Map<PartitionKey, number>();
  private pending: Checkpoint = new Map();
  private readonly committed = new Map<PartitionKey, number>();
  private readonly highWatermarks = new Map<PartitionKey, number>();
  private lakeReady: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly inFlightBatches = new Set<Promise<void>>();
  private readonly rate = new RateMeter();
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly state: StreamState;
  private readonly stateSaver: StreamStateSaver;
  private fatal: ((error: Error) => void) | undefined;
  private readonly done: Promise<void>;
  /** Settles once connected and consuming, or given up; stop() waits for it. */
  private running: Promise<void> = Promise.resolve();
  /** Per partition, the last message taken: re-checked after a fetch found a topic missing (recreatedPartition.ts). */
  private readonly lastTaken = new Map<PartitionKey, ServedMessage>();
  /** Partitions to re-check before taking more of them. */
  private readonly suspect = new Set<PartitionKey>();
  /** Cuts the waits between connection attempts short on stop(). */
  private readonly stopSignal = new AbortController();

  private constructor(
    private readonly opts: KafkaIngestOptions,
    private readonly target: BronzeTarget,
    private readonly lakeOffsets: LakeOffsets,
    private readonly sink: StreamSink<Checkpoint>,
  ) {
    for (const t of opts.topics) this.feedOf.set(t.brokerTopic, t.feed);
    const kafka = new Kafka({
      clientId: `pulse-ingest-${process.pid}`,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.onKafkaLog(entry),
      // A restarting broker is back within seconds; keep retrying rather than crash the consumer.
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 12 },
    });
    this.consumer = kafka.consumer({
      groupId: opts.group,
      // A SIGKILLed member holds its partitions until its session expires; keep that wait short.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: Math.min(500, opts.flushMs),
      // kafkajs decodes a whole fetch into message objects (~0.5 KB each on the heap, ten times the bytes of a
      // heart-rate message) and holds it while the sink makes room: with 4 MB per partition a 1M backlog ran the
      // worker out of its heap. Its defaults (1 MB per partition) drain as fast per CPU-second (bench/ingest.ts).
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
      allowAutoTopicCreation: true,
    });
    this.stateSaver = new StreamStateSaver(opts.home, opts.log);
    this.state = initialStreamState(
      "kafka",
      opts.group,
      opts.brokers.join(","),
      opts.topics.map((t) => t.brokerTopic),
    );
    this.done = new Promise<void>((_, reject) => {
      this.fatal = reject;
    });
    this.done.catch(() => undefined);
  }

  static async start(opts: KafkaIngestOptions): Promise<KafkaIngest> {
    const target = await openBronzeTarget(opts.sink, opts.home);
    const lakeOffsets = await LakeOffsets.open(opts.home, { readLake: target.lakeHoldsProgress });
    let self: KafkaIngest | undefined;
    const sink = new StreamSink<Checkpoint>(target, {
      maxRecords: opts.maxBatch,
      maxDelayMs: opts.flushMs,
      tag: `kafka-${process.pid.toString(36)}`,
      checkpoint: () => self!.takeCheckpoint(),
      commit: (checkpoint) => self!.commit(checkpoint),
      onCommitFailed: (checkpoint, error) => self!.restoreCheckpoint(checkpoint, error),
      onFlushed: (result) => self!.onFlushed(result),
      onWriteFailed: (error) => opts.log(`${target.name} write failed, will retry (offsets not committed): ${(error as Error).message}`),
      hasPendingCheckpoint: () => self!.pending.size > 0,
    });
    self = new KafkaIngest(opts, target, lakeOffsets, sink);
    // Started means running, even with the broker away: it connects in the background (connect()) and stop() works meanwhile.
    self.running = self.run().catch((error: unknown) => self!.fatal?.(error instanceof Error ? error : new Error(String(error))));
    return self;
  }

  private async run(): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // Emitted synchronously before the first fetch of the new generation: batches wait for this refresh.
      this.lakeReady = this.lakeReady.catch(() => undefined).then(() => this.lakeOffsets.refresh());
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.opts.log(`consumer crashed (${error.message})${restart ? "; restarting" : ""}`);
      if (!restart) this.fatal?.(error);
    });
    if (!(await this.connect())) return;
    await this.subscribe();
    if (this.stopping) return;
    this.sink.start();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.trackBatch(payload),
    });
    this.progressTimer = setInterval(() => this.printProgress(), this.opts.progressMs);
  }

  /**
   * Connects the consumer, however long the broker takes to come up: a service started before its broker
   * (a reboot, a deploy) must not die. kafkajs's own retries (12, about 44 s) end in an error, so each attempt
   * first probes the brokers once without retries, with one status line per failed attempt and a growing
   * pause (1 s doubling to 15 s). Resolves false if stopped meanwhile.
   */
  private async connect(): Promise<boolean> {
    const brokers = this.opts.brokers.join(",");
    const since = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      if (this.stopping) return false;
      try {
        await probeBrokers(this.opts.brokers);
        await this.consumer.connect();
        if (attempt > 1) this.opts.log(`connected to ${brokers} after ${Math.round((Date.now() - since) / 1000)} s`);
        return true;
      } catch (error) {
        if (this.stopping) return false;
        const pauseS = Math.min(15, 2 ** (attempt - 1));
        this.opts.log(`brokers ${brokers} unreachable (${(error as Error).message}); retrying in ${pauseS} s (attempt ${attempt}, ${Math.round((Date.now() - since) / 1000)} s so far)`);
        await delay(pauseS * 1000, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      }
    }
  }

  /**
   * A topic that does not exist yet is auto-created by the metadata request, which still answers
   * "unknown topic" the first time (and a producer creating it at the same moment races us): retry a while.
   */
  private async subscribe(): Promise<void> {
    const topics = this.opts.topics.map((t) => t.brokerTopic);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.consumer.subscribe({ topics, fromBeginning: true });
        return;
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) throw error;
        this.opts.log(`waiting for topics to exist: ${(error as Error).message}`);
        await sleep(500, { unref: true });
      }
    }
  }

  /**
   * kafkajs logs, and recovers from, a fetch of a partition the broker does not have; a topic deleted and
   * recreated meanwhile would then be read on from the old position. kafkajs 2.2.4 reports it only in its log
   * (this text is its message for UNKNOWN_TOPIC_OR_PARTITION), so the partitions taken from are re-checked.
   */
  private onKafkaLog(entry: LogEntry): void {
    if (String(entry.log.error ?? "").includes("does not host this topic-partition")) for (const key of this.lastTaken.keys()) this.suspect.add(key);
    this.opts.log(`kafka ${entry.label.toLowerCase()}: ${entry.log.message}`);
  }

  /** Rejects if the consumer dies for good (kafkajs gave up restarting it). */
  get failed(): Promise<void> {
    return this.done;
  }

  private trackBatch(payload: EachBatchPayload): Promise<void> {
    const work = this.eachBatch(payload);
    this.inFlightBatches.add(work);
    return work.finally(() => this.inFlightBatches.delete(work));
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    await this.lakeReady;
    const brokerTopic = batch.topic;
    const feed = this.feedOf.get(brokerTopic);
    if (feed === undefined) return;
    const key = partitionKey(brokerTopic, batch.partition);
    const highWatermark = Number(batch.highWatermark);
    this.highWatermarks.set(key, highWatermark);
    const lastTaken = this.lastTaken.get(key);
    if (this.suspect.has(key) && lastTaken !== undefined && Number(batch.firstOffset() ?? -1) > Number(lastTaken.offset)) {
      // Serve the last message taken again, to compare it; nothing of this batch is taken meanwhile.
      this.consumer.seek({ topic: brokerTopic, partition: batch.partition, offset: lastTaken.offset });
      return;
    }
    this.suspect.delete(key);
    const lakeHigh = this.lakeOffsets.get(key);
    const evidence = await recreationEvidence({ lakeHigh, handledHigh: this.handled.get(key), highWatermark, lastTaken }, batch.messages, (from, to) =>
      this.lakeOffsets.storedMessages(brokerTopic, batch.partition, this.lakeOffsets.incarnation(key), from, to),
    );
    if (evidence !== undefined) {
      this.beginIncarnation(key, feed, batch.partition, lakeHigh, evidence);
      if (Number(batch.firstOffset() ?? 0) > 0) {
        // The new incarnation starts before this batch (the broker resets an offset below its log start to it).
        this.consumer.seek({ topic: brokerTopic, partition: batch.partition, offset: "0" });
        return;
      }
    }
    const incarnation = this.lakeOffsets.incarnation(key);
    const origin = { brokerTopic, feed, partition: batch.partition, incarnation, source: kafkaSource(brokerTopic, incarnation) };
    // Read once per batch: the lake's progress grows only by this process's own writes (never past `handled`)
    // or on a group join, which makes this batch stale.
    const floor = Math.max(this.handled.get(key) ?? -1, this.lakeOffsets.get(key) ?? -1);
    const messages = batch.messages;
    let from = 0;
    while (from < messages.length && Number(messages[from]!.offset) <= floor) from += 1;
    if (from > 0) {
      // Replays already in the lake: skipped, but their offsets are committed with the next flush.
      this.markPending(brokerTopic, batch.partition, incarnation, Number(messages[from - 1]!.offset));
      resolveOffset(messages[from - 1]!.offset);
    }
    // Taken in chunks that fit the sink's open buffer, so it is sealed only after a chunk's last record: the
    // checkpoint marked before each chunk then covers exactly the records sealed with it. Offsets are marked
    // and resolved once per chunk: per message, kafkajs's Long arithmetic was 8% of the ingest's CPU.
    while (from < messages.length) {
      if (this.stopping || !isRunning() || isStale()) break;
      if (this.sink.room <= 0) {
        await this.sink.waitForRoom(heartbeat);
        if (this.sink.room <= 0) break;
        continue;
      }
      const to = Math.min(messages.length, from + this.sink.room);
      const last = messages[to - 1]!;
      this.markPending(brokerTopic, batch.partition, incarnation, Number(last.offset));
      this.takeMessages(origin, messages, from, to);
      this.handled.set(key, Number(last.offset));
      resolveOffset(last.offset);
      this.rate.add(to - from);
      // A copy: the message's value is a view of the whole fetch response, which must not stay alive with it.
      this.lastTaken.set(key, { offset: last.offset, timestamp: last.timestamp, value: last.value === null ? null : Buffer.from(last.value) });
      from = to;
    }
  }

  /** `messages[from..to)` into the sink: as one run when the bulk check passes them all, else one by one. */
  private takeMessages(origin: MessageOrigin, messages: KafkaMessage[], from: number, to: number): void {
    const run = recordRun(origin, messages, from, to);
    if (run !== undefined) return this.sink.acceptRun(run);
    const now = new Date();
    for (let i = from; i < to; i++) {
      const message = messages[i]!;
      const result = validatePayload(origin.feed, message.value);
      if (result.ok) this.sink.accept(multiplexRecord(origin, message, result.value));
      else this.sink.reject(deadLetterRow(origin, message, result.reason, now));
    }
  }

  /**
   * The partition is not the one the lake holds progress of (recreatedPartition.ts). Skipping its offsets
   * already taken would lose its messages for good; its messages are read from its start instead, as a new
   * incarnation whose message ids cannot collide with the earlier ones (incarnation.ts). Said loudly, and
   * recorded for `pulse ingest status`.
   */
  private beginIncarnation(key: PartitionKey, feed: StreamTopic, partition: number, previousHigh: number | undefined, reason: string): void {
    const incarnation = this.lakeOffsets.incarnation(key) + 1;
    this.lakeOffsets.begin(key, incarnation);
    this.handled.delete(key);
    this.lastTaken.delete(key);
    this.state.recreated = { ...this.state.recreated, [key]: { incarnation, detectedAt: new Date().toISOString(), previousHigh, reason } };
    this.opts.log(
      `${key} was recreated: ${reason}. Reading it from its start as incarnation ${incarnation} (message ids ${feed}@${incarnation}/${partition}/<offset>); the earlier incarnation's rows stay as they are`,
    );
    this.saveState();
  }

  /** A newer incarnation's offsets replace an older one's: the broker's offsets are the new partition's. */
  private markPending(topic: string, partition: number, incarnation: number, offset: number): void {
    const key = partitionKey(topic, partition);
    const current = this.pending.get(key);
    if (current === undefined || incarnation > current.incarnation) this.pending.set(key, { topic, partition, incarnation, offset });
    else if (incarnation === current.incarnation && offset > current.offset) current.offset = offset;
  }

  private takeCheckpoint(): Checkpoint {
    const checkpoint = this.pending;
    this.pending = new Map();
    return checkpoint;
  }

  private restoreCheckpoint(checkpoint: Checkpoint, error: unknown): void {
    this.opts.log(`offset commit failed, will retry with the next flush (data is safe in the lake): ${(error as Error).message}`);
    for (const h of checkpoint.values()) this.markPending(h.topic, h.partition, h.incarnation, h.offset);
  }

  private async commit(checkpoint: Checkpoint): Promise<void> {
    // An older incarnation's offset must not become the recreated partition's committed position.
    const entries = [...checkpoint.values()].filter((h) => h.incarnation >= this.lakeOffsets.incarnation(partitionKey(h.topic, h.partition)));
    if (entries.length === 0) return;
    await this.consumer.commitOffsets(entries.map((h) => ({ topic: h.topic, partition: h.partition, offset: String(h.offset + 1) })));
    for (const h of entries) this.committed.set(partitionKey(h.topic, h.partition), h.offset + 1);
  }

  private onFlushed(result: FlushResult<Checkpoint>): void {
    const multiplexFile = result.files.find((f) => f.table === "kafka_multiplex");
    if (multiplexFile) {
      this.lakeOffsets.noteWritten(
        multiplexFile.file,
        [...result.checkpoint].map(([key, h]) => ({ key, incarnation: h.incarnation, offset: h.offset })),
      );
    }
    recordFlush(this.state, result);
    this.saveState();
  }

  private positions(): Record<string, StreamPosition> {
    const keys = new Set([...this.highWatermarks.keys(), ...this.committed.keys()]);
    const positions: Record<string, StreamPosition> = {};
    for (const key of [...keys].sort()) {
      const hw = this.highWatermarks.get(key);
      const consumed = this.handled.get(key);
      positions[key] = {
        committed: this.committed.get(key),
        lakeOffset: this.lakeOffsets.get(key),
        highWatermark: hw,
        lag: hw === undefined ? undefined : Math.max(0, hw - ((consumed ?? -1) + 1)),
      };
    }
    return positions;
  }

  /** Lag per feed: messages on the broker not yet read into a buffer. */
  lagByTopic(): Record<string, number> {
    const lag: Record<string, number> = {};
    for (const t of this.opts.topics) lag[t.feed] = 0;
    for (const [key, position] of Object.entries(this.positions())) {
      const feed = this.feedOf.get(key.slice(0, key.lastIndexOf("/")));
      if (feed !== undefined) lag[feed] = (lag[feed] ?? 0) + (position.lag ?? 0);
    }
    return lag;
  }

  private saveState(): void {
    this.state.positions = this.positions();
    this.stateSaver.save(this.state);
  }

  private printProgress(): void {
    const lag = Object.entries(this.lagByTopic())
      .map(([feed, n]) => `${feed}=${formatCount(n)}`)
      .join(" ");
    this.opts.log(
      `${formatCount(this.rate.take())} msg/s · lag ${lag} · in lake ${formatCount(this.state.totals.records)} · dead letters ${formatCount(this.state.totals.deadLetters)} · buffered ${formatCount(this.sink.buffered)}`,
    );
  }

  /**
   * Graceful stop: stop taking messages, write what is buffered, commit it, leave the group.
   * Resolves false if the final lake write failed (nothing of it was committed; a restart re-reads it).
   */
  async stop(deadlineMs = 8000): Promise<boolean> {
    this.stopping = true;
    this.stopSignal.abort();
    const deadline = Date.now() + deadlineMs;
    await Promise.race([this.running, sleep(2000, { unref: true })]);
    if (this.progressTimer) clearInterval(this.progressTimer);
    await Promise.race([Promise.allSettled([...this.inFlightBatches]), sleep(Math.max(0, deadline - Date.now() - 4000), { unref: true })]);
    this.sink.stop();
    const flushed = await this.sink.finalFlush(deadline - 1000, this.opts.log);
    await Promise.race([this.consumer.disconnect().catch(() => undefined), sleep(Math.max(0, deadline - Date.now()), { unref: true })]);
    this.state.stoppedAt = new Date().toISOString();
    this.saveState();
    await this.stateSaver.settled();
    this.printProgress();
    this.lakeOffsets.close();
    await this.target.close();
    return flushed;
  }
}

/** One connection attempt to the brokers, without kafkajs's retries: fails fast while nothing listens. */
async function probeBrokers(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: `pulse-probe-${process.pid}`, brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Unref'd: a deadline timer must not keep the process alive after a fast shutdown. */
