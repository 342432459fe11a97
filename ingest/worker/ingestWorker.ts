import { parentPort, workerData } from "node:worker_threads";
import { KafkaIngest } from "../sources/kafka/kafkaIngest.js";
import { PubsubIngest } from "../sources/pubsub/pubsubIngest.js";
import type { IngestWorkerSpec, MainToWorker, WorkerToMain } from "./protocol.js";

/** Worker entry: runs one stream ingest service and speaks the protocol in ./protocol.ts. */
const port = parentPort!;
const spec = workerData as IngestWorkerSpec;
const send = (message: WorkerToMain) => port.postMessage(message);
const log = (line: string) => send({ type: "log", line });

try {
  const service = spec.source === "kafka" ? await KafkaIngest.start({ ...spec.options, log }) : await PubsubIngest.start({ ...spec.options, log });
  service.failed.catch((error: unknown) => send({ type: "failed", message: error instanceof Error ? error.message : String(error) }));
  port.on("message", (message: MainToWorker) => {
    if (message.type === "stop") void service.stop().then((ok) => send({ type: "stopped", ok }));
  });
  send({ type: "started" });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
