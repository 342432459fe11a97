import { KAFKA_BROKERS } from "../../services/services.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";

/** `pulse ingest` from Kafka topics `<prefix><feed>` into BigQuery bronze on the emulator's project, as consumer group `group`. */
export function kafkaToBigQueryArgs(prefix: string, group: string): string[] {
  return ["ingest", "--source", "kafka", "--sink", "bigquery", "--gcp-project", BIGQUERY_EMULATOR_PROJECT, "--brokers", KAFKA_BROKERS, "--topic-prefix", prefix, "--group", group];
}
