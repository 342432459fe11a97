import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startKafkaBroker, type Log } from "./kafka.js";
import { startPubsubEmulator } from "./pubsubEmulator.js";
import { BIGQUERY_EMULATOR_PROJECT, ensureBigQueryEmulator, startBigQueryEmulator } from "./bigqueryEmulator.js";
import { servicesStateDir } from "./paths.js";
import { POSTGRES_DEMO_DATABASE, ensurePostgresDemo } from "./postgresDemo.js";
import { postgresUrl, startPostgres } from "./postgres.js";
import { isPortOpen, livePid, stopService, withLock } from "./process.js";
import { sleep } from "../lib/sleep.js";

export const KAFKA_PORT = Number(process.env.PULSE_KAFKA_PORT ?? 9092);
export const PUBSUB_PORT = Number(process.env.PULSE_PUBSUB_PORT ?? 8085);
export const KAFKA_BROKERS = `127.0.0.1:${KAFKA_PORT}`;
export const PUBSUB_EMULATOR_HOST = `127.0.0.1:${PUBSUB_PORT}`;
export const BIGQUERY_PORT = Number(process.env.PULSE_BIGQUERY_PORT ?? 9050);
export const BIGQUERY_GRPC_PORT = Number(process.env.PULSE_BIGQUERY_GRPC_PORT ?? 9060);
/** As @google-cloud/bigquery reads BIGQUERY_EMULATOR_HOST: the base URL, scheme included. */
export const BIGQUERY_EMULATOR_HOST = `http://127.0.0.1:${BIGQUERY_PORT}`;

export const POSTGRES_PORT = Number(process.env.PULSE_POSTGRES_PORT ?? 55432);
/** The demo database's URL, as `pulse ingest --source postgres --url` and `PULSE_PG_URL` take it. */
export const POSTGRES_DEMO_URL = postgresUrl(POSTGRES_PORT, POSTGRES_DEMO_DATABASE);

export type ServiceName = "kafka" | "pubsub" | "bigquery" | "postgres";
export const SERVICE_NAMES: ServiceName[] = ["kafka", "pubsub", "bigquery", "postgres"];
/** `started`: this call launched it; `running`: something already listened on the port. */
export type UpOutcome = "started" | "running";

function files(stateDir: string) {
  return {
    lock: path.join(stateDir, "services.lock"),
    kafkaDir: path.join(stateDir, `kafka-${KAFKA_PORT}`),
    kafkaPid: path.join(stateDir, `kafka-${KAFKA_PORT}.pid`),
    pubsubDir: path.join(stateDir, `pubsub-${PUBSUB_PORT}`),
    pubsubPid: path.join(stateDir, `pubsub-${PUBSUB_PORT}.pid`),
    bigqueryDir: path.join(stateDir, `bigquery-${BIGQUERY_PORT}`),
    bigqueryPid: path.join(stateDir, `bigquery-${BIGQUERY_PORT}.pid`),
    postgresDir: path.join(stateDir, `postgres-${POSTGRES_PORT}`),
    postgresPid: path.join(stateDir, `postgres-${POSTGRES_PORT}.pid`),
  };
}

/** Starts whichever of Kafka, the Pub/Sub and the BigQuery emulator and PostgreSQL is not already listening; safe to call concurrently. */
export async function servicesUp(log: Log, only: ServiceName[] = SERVICE_NAMES): Promise<Record<ServiceName, UpOutcome | "skipped">> {
  const f = files(servicesStateDir());
  // The emulator's first build takes many minutes: outside the services lock, under a build lock of its own.
  if (only.includes("bigquery") && !(await isPortOpen(BIGQUERY_PORT))) await ensureBigQueryEmulator(log);
  return withLock(f.lock, async () => {
    const outcome: Record<ServiceName, UpOutcome | "skipped"> = { kafka: "skipped", pubsub: "skipped", bigquery: "skipped", postgres: "skipped" };
    if (only.includes("kafka")) {
      if (await isPortOpen(KAFKA_PORT)) {
        log(`kafka: already listening on ${KAFKA_BROKERS}`);
        outcome.kafka = "running";
      } else {
        await startKafkaBroker({ port: KAFKA_PORT, controllerPort: KAFKA_PORT + 1, dir: f.kafkaDir, pidFile: f.kafkaPid, log });
        await waitForKafka(KAFKA_BROKERS, 60_000);
        log(`kafka: ready on ${KAFKA_BROKERS}`);
        outcome.kafka = "started";
      }
    }
    if (only.includes("pubsub")) {
      if (await isPortOpen(PUBSUB_PORT)) {
        log(`pubsub: already listening on ${PUBSUB_EMULATOR_HOST}`);
        outcome.pubsub = "running";
      } else {
        await startPubsubEmulator({ port: PUBSUB_PORT, dir: f.pubsubDir, pidFile: f.pubsubPid, log });
        log(`pubsub: ready on ${PUBSUB_EMULATOR_HOST} (export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST})`);
        outcome.pubsub = "started";
      }
    }
    if (only.includes("bigquery")) {
      if (await isPortOpen(BIGQUERY_PORT)) {
        log(`bigquery: already listening on 127.0.0.1:${BIGQUERY_PORT}`);
        outcome.bigquery = "running";
      } else {
        await startBigQueryEmulator({ port: BIGQUERY_PORT, grpcPort: BIGQUERY_GRPC_PORT, dir: f.bigqueryDir, pidFile: f.bigqueryPid, persist: true, log });
        log(
          `bigquery: ready on 127.0.0.1:${BIGQUERY_PORT}, project ${BIGQUERY_EMULATOR_PROJECT} (export BIGQUERY_EMULATOR_HOST=${BIGQUERY_EMULATOR_HOST} BIGQUERY_STORAGE_EMULATOR_HOST=127.0.0.1:${BIGQUERY_GRPC_PORT})`,
        );
        outcome.bigquery = "started";
      }
    }
    if (only.includes("postgres")) {
      if (await isPortOpen(POSTGRES_PORT)) {
        log(`postgres: already listening on 127.0.0.1:${POSTGRES_PORT}`);
        outcome.postgres = "running";
      } else {
        await startPostgres({ port: POSTGRES_PORT, dir: f.postgresDir, pidFile: f.postgresPid, log });
        await ensurePostgresDemo(postgresUrl(POSTGRES_PORT, "postgres"));
        log(`postgres: ready on 127.0.0.1:${POSTGRES_PORT} (export PULSE_PG_URL=${POSTGRES_DEMO_URL})`);
        outcome.postgres = "started";
      }
    }
    return outcome;
  });
}

/** Stops only services whose pid file this machine's `servicesUp` wrote; a broker someone else runs is left alone. */
export async function servicesDown(log: Log, only: ServiceName[] = SERVICE_NAMES): Promise<void> {
  const f = files(servicesStateDir());
  await withLock(f.lock, async () => {
    if (only.includes("postgres")) {
      // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the data is checkpointed.
      log((await stopService(f.postgresPid, 30_000, "SIGINT")) ? "postgres: stopped" : "postgres: not started by services:up, left alone");
    }
    if (only.includes("bigquery")) {
      log((await stopService(f.bigqueryPid, 10_000)) ? "bigquery: stopped" : "bigquery: not started by services:up, left alone");
    }
    if (only.includes("pubsub")) {
      log((await stopService(f.pubsubPid, 10_000)) ? "pubsub: stopped" : "pubsub: not started by services:up, left alone");
    }
    if (only.includes("kafka")) {
      log((await stopService(f.kafkaPid, 30_000)) ? "kafka: stopped" : "kafka: not started by services:up, left alone");
    }
  });
}

export async function servicesStatus(): Promise<Record<ServiceName, { listening: boolean; ownedPid?: number }>> {
  const f = files(servicesStateDir());
  return {
    kafka: { listening: await isPortOpen(KAFKA_PORT), ownedPid: livePid(f.kafkaPid)?.pid },
    pubsub: { listening: await isPortOpen(PUBSUB_PORT), ownedPid: livePid(f.pubsubPid)?.pid },
    bigquery: { listening: await isPortOpen(BIGQUERY_PORT), ownedPid: livePid(f.bigqueryPid)?.pid },
    postgres: { listening: await isPortOpen(POSTGRES_PORT), ownedPid: livePid(f.postgresPid)?.pid },
  };
}

/** The listener opens before the controller has elected itself; a metadata round trip proves it serves. */
export async function waitForKafka(brokers: string, timeoutMs: number): Promise<void> {
  const kafka = new Kafka({ clientId: "pulse-services", brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch (error) {
      lastError = error;
      await admin.disconnect().catch(() => undefined);
      await sleep(500);
    }
  }
  throw new Error(`kafka on ${brokers} did not answer metadata requests within ${timeoutMs / 1000} s: ${String(lastError)}`);
}
