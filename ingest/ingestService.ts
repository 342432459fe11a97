import { startIngestWorker } from "./worker/workerIngest.js";
import type { IngestWorkerSpec } from "./worker/protocol.js";

/** A running stream ingest service: `pulse ingest` waits for a signal, `pulse stream` runs the graph beside it. */
export interface IngestService {
  /** Drains, flushes, commits or acks, and stops; false if it could not stop cleanly. */
  stop(): Promise<boolean>;
  /** Rejects if the service fails while running. */
  failed: Promise<void>;
}

/** Starts the Kafka or Pub/Sub ingest service (in its worker thread) and logs what it reads. */
export function startStreamIngest(spec: IngestWorkerSpec, log: (line: string) => void): Promise<IngestService> {
  if (spec.source === "kafka") {
    const { group, brokers, topics } = spec.options;
    log(`group ${group} on ${brokers.join(",")}: ${topics.map((t) => t.brokerTopic).join(", ")}`);
  } else {
    const where = process.env.PUBSUB_EMULATOR_HOST ? `emulator ${process.env.PUBSUB_EMULATOR_HOST}` : "Google Cloud";
    log(`project ${spec.options.projectId} on ${where}: ${spec.options.subscriptions.map((s) => s.subscription).join(", ")}`);
  }
  return startIngestWorker(spec, log);
}

/**
 * Runs a service until SIGINT/SIGTERM, then stops it gracefully; returns the exit code. A second signal
 * while stopping exits at once (the lake and the broker stay consistent: nothing unwritten was committed).
 */
export async function runUntilSignal(service: IngestService, log: (line: string) => void): Promise<number> {
  const signal = await new Promise<NodeJS.Signals | Error>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
    service.failed.catch((error: unknown) => resolve(error instanceof Error ? error : new Error(String(error))));
  });
  const forced = () => process.exit(130);
  process.once("SIGINT", forced);
  process.once("SIGTERM", forced);
  if (signal instanceof Error) {
    log(`stopping: ${signal.message}`);
    await service.stop();
    return 1;
  }
  log(`${signal}: draining, flushing and committing`);
  return (await service.stop()) ? 0 : 1;
}
