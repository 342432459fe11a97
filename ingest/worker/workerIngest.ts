import { Worker } from "node:worker_threads";
import { UserError } from "../../lib/errors.js";
import type { IngestService } from "../ingestService.js";
import type { IngestWorkerSpec, MainToWorker, WorkerToMain } from "./protocol.js";

/**
 * V8 sizes its heap from the machine's memory and collects lazily, so a Node process ingesting 50,000
 * msg/s on a 24 GB box grows past 1 GB of mostly garbage. Running the service in a worker with a capped
 * old generation keeps the whole process within a few hundred MB (the sink's backpressure bounds the live
 * data well below the cap), and leaves the main thread free for `pulse stream`'s graph runs.
 */
export const INGEST_WORKER_HEAP_MB = 192;

export function startIngestWorker(spec: IngestWorkerSpec, log: (line: string) => void, heapMb = INGEST_WORKER_HEAP_MB): Promise<IngestService> {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSource ? "./ingestWorker.ts" : "./ingestWorker.js", import.meta.url).href;
  // Run from source (tsx) the worker needs the TypeScript loader registered in its own thread first.
  const boot = fromSource ? `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })` : `import(${JSON.stringify(entry)})`;
  const worker = new Worker(boot, { eval: true, workerData: spec, resourceLimits: { maxOldGenerationSizeMb: heapMb } });

  let onStopped: ((ok: boolean) => void) | undefined;
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<void>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);

  return new Promise<IngestService>((resolve, reject) => {
    let started = false;
    let stopping = false;
    const die = (error: Error) => {
      // The worker exits (or is terminated) once it has stopped: that is the end, not a failure.
      if (stopping) return onStopped?.(false);
      if (!started) reject(error);
      else fail(error);
      onStopped?.(false);
    };
    worker.on("message", (message: WorkerToMain) => {
      switch (message.type) {
        case "log":
          log(message.line);
          return;
        case "started":
          started = true;
          resolve({
            failed,
            stop: () =>
              new Promise<boolean>((resolveStop) => {
                stopping = true;
                onStopped = resolveStop;
                worker.postMessage({ type: "stop" } satisfies MainToWorker);
              }).finally(() => void worker.terminate()),
          });
          return;
        case "failed":
          die(message.userExitCode === undefined ? new Error(message.message) : new UserError(message.message, message.userExitCode));
          return;
        case "stopped":
          onStopped?.(message.ok);
          return;
      }
    });
    worker.on("error", (error) => die(error));
    worker.on("exit", (code) => die(new Error(`ingest worker exited (code ${code})`)));
  });
}
