import { BIGQUERY_EMULATOR_HOST, KAFKA_BROKERS, POSTGRES_DEMO_URL, PUBSUB_EMULATOR_HOST, servicesDown, servicesUp, type ServiceName } from "./services.js";

export interface TestServices {
  kafkaBrokers: string;
  pubsubEmulatorHost: string;
  bigqueryEmulatorHost: string;
  /** The demo database on the project's PostgreSQL. */
  postgresUrl: string;
  /** The services this call launched; the rest were already running and belong to someone else. */
  started: ServiceName[];
  /** Stops exactly the services in `started`. */
  stop(): Promise<void>;
}

/**
 * For vitest globalSetup: makes sure Kafka, the Pub/Sub and the BigQuery emulator and PostgreSQL listen on loopback, starting only what
 * is missing, and remembers what it started so teardown leaves a developer's own `services:up` running.
 */
export async function ensureTestServices(log: (line: string) => void = (line) => process.stderr.write(`[services] ${line}\n`)): Promise<TestServices> {
  const outcome = await servicesUp(log);
  const started = (Object.keys(outcome) as ServiceName[]).filter((name) => outcome[name] === "started");
  return {
    kafkaBrokers: KAFKA_BROKERS,
    pubsubEmulatorHost: PUBSUB_EMULATOR_HOST,
    bigqueryEmulatorHost: BIGQUERY_EMULATOR_HOST,
    postgresUrl: POSTGRES_DEMO_URL,
    started,
    async stop() {
      if (started.length > 0) await servicesDown(log, started);
    },
  };
}
