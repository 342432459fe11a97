import fs from "node:fs";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { AS_OF_DATE } from "../pipeline/expected-reference.js";
import { REFERENCE, SILVER_AND_GOLD, runGraph, tempHome, VARS } from "../pipeline/pipelineHarness.js";
import { createDataformDatasets, DATAFORM_SUFFIX, officialDataform, pulseIn, type OfficialDataform } from "./officialDataform.js";
import { ReferenceFeed } from "./referenceFeed.js";
import { writeSmallReference } from "./smallReference.js";
import { startPrivateEmulator, type PrivateEmulator } from "./privateEmulator.js";
import { bigqueryTableRows, duckdbTableRows, tableDifferences } from "./tableRows.js";

const GCP = BIGQUERY_EMULATOR_PROJECT;

let emulator: PrivateEmulator;
let bigquery: BigQuery;
let env: NodeJS.ProcessEnv;
let dataform: OfficialDataform;
let small: string;

beforeAll(async () => {
  small = await writeSmallReference(REFERENCE);
  emulator = await startPrivateEmulator();
  env = { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host, BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcHost };
  avoidMetadataServerProbe();
  bigquery = new BigQuery({ projectId: GCP, apiEndpoint: emulator.host });
  dataform = officialDataform(bigquery, env, GCP);
});

afterAll(async () => {
  await emulator?.stop();
  dataform?.dispose();
  if (small) fs.rmSync(small, { recursive: true, force: true });
});

const BRONZE = ["bronze.kafka_multiplex", "bronze.registered_users", "bronze.gym_logins"];

describe("the whole graph on the BigQuery emulator equals the DuckDB run, after reference set 1 and set 2", () => {
  it("fed by one Kafka topic set into both sinks, with pulse run --warehouse bigquery and with the official dataform run", async () => {
    expect(VARS.as_of_date).toBe(AS_OF_DATE);
    expect(pulseIn(env, "bigquery", "init", "--gcp-project", GCP)).toContain(`created ${GCP}.bronze.kafka_multiplex`);
    expect(pulseIn(env, "bigquery", "init", "--gcp-project", GCP)).toContain(`exists  ${GCP}.bronze.kafka_multiplex`);
    const feed = new ReferenceFeed(tempHome("pulse-bq-parity-"), small, bigquery, env, GCP);
    for (const iteration of [1, 2]) {
      await feed.produce(iteration);
      await Promise.all([feed.intoLake(), feed.intoBigQuery()]);
      await feed.batchFiles(iteration);
      expect(tableDifferences(await duckdbTableRows(feed.state, BRONZE), await bigqueryTableRows(bigquery, GCP, BRONZE)), `bronze after set ${iteration}`).toBeUndefined();
      await runGraph(feed.state);
      const want = await duckdbTableRows(feed.state, SILVER_AND_GOLD);

      // After set 2 both runners rebuild every table on the emulator (docs/bigquery.md): it has no sessions, in
      // which pulse stages an incremental batch, and its MERGE takes only a table as source, while the official
      // CLI merges from a query. The incremental forms are analysed by ZetaSQL instead (`compile --check bigquery`).
      const rebuild = iteration === 2 ? ["--full-refresh"] : [];
      await emulator.forgetJobs(GCP);
      pulseIn(env, "run", "--warehouse", "bigquery", "--gcp-project", GCP, "--vars", `as_of_date=${AS_OF_DATE}`, ...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD)), `pulse run after set ${iteration}`).toBeUndefined();

      await emulator.forgetJobs(GCP);
      await createDataformDatasets(bigquery);
      // After set 2 the official CLI runs as production's jobs do, one tag at a time: silver with its assertions, then gold.
      if (iteration === 1) dataform.run();
      else for (const tag of ["silver", "gold"]) dataform.run("--tags", tag, ...rebuild);
      expect(tableDifferences(want, await bigqueryTableRows(bigquery, GCP, SILVER_AND_GOLD, DATAFORM_SUFFIX)), `dataform run after set ${iteration}`).toBeUndefined();
    }
  }, 1_800_000);
});
