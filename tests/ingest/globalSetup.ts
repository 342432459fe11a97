import { ensureTestServices } from "../../services/testServices.js";

/** Starts Kafka, the Pub/Sub and the BigQuery emulator and PostgreSQL if they are not running, and stops afterwards only what it started. */
export default async function setup(): Promise<() => Promise<void>> {
  const services = await ensureTestServices();
  return () => services.stop();
}
