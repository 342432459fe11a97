import path from "node:path";
import type { BigQuery } from "@google-cloud/bigquery";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { copyIntoLanding } from "../../produce/landingFile.js";
import { iterationFiles, replayRecords } from "../../produce/replay.js";
import { produceToKafka } from "../../produce/toKafka.js";
import { KAFKA_BROKERS, kafkaIngestArgs, multiplexCount, startCli, uniquePrefix, waitFor } from "../ingest/helpers.js";
import { pulseIn } from "./officialDataform.js";

/**
 * Feeds one home's lake and one BigQuery project with the same reference sets, as production would: the three
 * device topics through one Kafka topic set, read by two consumer groups (`pulse ingest --source kafka` into the
 * lake, and with `--sink bigquery` through the Storage Write API), and the batch-file feeds (brief §6) through
 * one landing zone, loaded by `pulse ingest --source landing --once` into each. `root` is the CLI's `--home`; the
 * default environment keeps its state in `<root>/dev/`.
 */
export class ReferenceFeed {
  readonly state: string;
  private readonly prefix = uniquePrefix("bq-reference");
  private sent = 0;

  constructor(
    private readonly root: string,
    private readonly from: string,
    private readonly bigquery: BigQuery,
    private readonly env: NodeJS.ProcessEnv,
    private readonly project: string,
  ) {
    this.state = path.join(root, "dev");
  }

  /** Sends set `iteration`'s device messages to the topics. */
  async produce(iteration: number): Promise<void> {
    this.sent += await produceToKafka(replayRecords(this.from, iteration), { brokers: [KAFKA_BROKERS], topicPrefix: this.prefix, partitions: 1, progressMs: 60_000, log: () => undefined });
  }

  /** Kafka → lake until every message sent so far is there. */
  intoLake(): Promise<void> {
    return this.ingestUntil(kafkaIngestArgs(this.root, this.prefix, ["--group", `${this.prefix}lake`]), "the lake", async () => (await multiplexCount(this.root)) >= this.sent);
  }

  /** Kafka → BigQuery bronze (Storage Write API) until every message sent so far is there. */
  intoBigQuery(): Promise<void> {
    const args = kafkaIngestArgs(this.root, this.prefix, ["--group", `${this.prefix}bigquery`, "--sink", "bigquery", "--gcp-project", this.project]);
    return this.ingestUntil(args, "BigQuery bronze", async () => (await this.bigqueryMessages()) >= this.sent);
  }

  /** Set `iteration`'s batch files (registrations, gym logins) landed once, then loaded by both sinks. */
  async batchFiles(iteration: number): Promise<void> {
    for (const file of await iterationFiles(this.from, iteration)) {
      if (file.landingFeed !== "kafka_multiplex") await copyIntoLanding(this.state, file.landingFeed, file.path, file.name);
    }
    await loadLandingOnce(this.state);
    pulseIn(this.env, "ingest", "--source", "landing", "--once", "--sink", "bigquery", "--gcp-project", this.project, "--home", this.root);
  }

  /** Runs `pulse ingest` until `arrived`, then stops it as an operator would (SIGTERM: flush, commit, exit 0). */
  private async ingestUntil(args: string[], where: string, arrived: () => Promise<boolean>): Promise<void> {
    const ingest = startCli(args, this.env);
    await waitFor(`${this.sent} messages in ${where}`, async () => arrived(), 300_000, 1000, ingest);
    ingest.child.kill("SIGTERM");
    const exit = await ingest.exited;
    if (exit !== 0) throw new Error(`pulse ${args.join(" ")} exited ${exit}:\n${ingest.output()}`);
  }

  private async bigqueryMessages(): Promise<number> {
    const [rows] = await this.bigquery.query({ query: `SELECT count(DISTINCT message_id) AS n FROM \`${this.project}.bronze.kafka_multiplex\` WHERE _source LIKE 'kafka:${this.prefix}%'` });
    return Number((rows as { n: number }[])[0]!.n);
  }
}
