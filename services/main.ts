#!/usr/bin/env node
import { SERVICE_NAMES, servicesDown, servicesStatus, servicesUp, type ServiceName } from "./services.js";

/** `npm run services:up|down [-- kafka|pubsub|bigquery]`: local Kafka (KRaft), the Pub/Sub and the BigQuery emulators, PostgreSQL 15 for dev and tests. */
async function main(argv: string[]): Promise<number> {
  const [action, ...names] = argv;
  const valid = SERVICE_NAMES;
  const bad = names.filter((n) => !valid.includes(n as ServiceName));
  if (bad.length > 0 || (action !== "up" && action !== "down" && action !== "status")) {
    process.stderr.write("usage: services (up|down|status) [kafka] [pubsub] [bigquery] [postgres]\n");
    return 2;
  }
  const only = names.length > 0 ? (names as ServiceName[]) : valid;
  const log = (line: string) => process.stdout.write(`services: ${line}\n`);
  if (action === "up") await servicesUp(log, only);
  else if (action === "down") await servicesDown(log, only);
  else {
    for (const [name, s] of Object.entries(await servicesStatus())) {
      log(`${name}: ${s.listening ? "listening" : "down"}${s.ownedPid ? ` (started by services:up, pid ${s.ownedPid})` : ""}`);
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`services: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
