import { parentPort, workerData } from "node:worker_threads";
import { UserError } from "../../lib/errors.js";
import { KafkaIngest } from "../sources/kafka/kafkaIngest.js";
import { PubsubIngest } from "../sources/pubsub/pubsubIngest.js";
import type { IngestWorkerSpec, MainToWorker, WorkerToMain } from "./protocol.js";

/** Worker entry: runs one stream ingest service and speaks the protocol in ./protocol.ts. */
const port = parentPort!;
const spec = workerData as IngestWorkerSpec;
const send = (message: WorkerToMain) => port.postMessage(message);
const log = (line: string) => send({ type: "log", line });
// A class does not survive postMessage: a UserError crosses as its message and exit code, and an unexpected error
// keeps its stack for the report.
const failure = (error: unknown, withStack: boolean): WorkerToMain => {
  if (error instanceof UserError) return { type: "failed", message: error.message, userExitCode: error.exitCode };
  return { type: "failed", message: error instanceof Error ? ((withStack ? error.stack : undefined) ?? error.message) : String(error) };
};

try {
  const service = spec.source === "kafka" ? await KafkaIngest.start({ ...spec.options, log }) : await PubsubIngest.start({ ...spec.options, log });
  service.failed.catch((error: unknown) => send(failure(error, false)));
  port.on("message", (message: MainToWorker) => {
    if (message.type === "stop") void service.stop().then((ok) => send({ type: "stopped", ok }));
  });
  send({ type: "started" });
} catch (error) {
  send(failure(error, true));
}
