import type { KafkaIngestOptions } from "../sources/kafka/kafkaIngest.js";
import type { PubsubIngestOptions } from "../sources/pubsub/pubsubIngest.js";

/** What the main thread asks the ingest worker to run (everything but the log function, which cannot cross threads). */
export type IngestWorkerSpec = { source: "kafka"; options: Omit<KafkaIngestOptions, "log"> } | { source: "pubsub"; options: Omit<PubsubIngestOptions, "log"> };

/** `userExitCode`: the failure was a UserError (bad flags, a refused name), to be reported in one line with that exit code. */
export type WorkerToMain = { type: "log"; line: string } | { type: "started" } | { type: "failed"; message: string; userExitCode?: number } | { type: "stopped"; ok: boolean };

export type MainToWorker = { type: "stop" };
