import path from "node:path";
import { describe, expect, it } from "vitest";
import { referenceSet, landReference } from "../landing/landingTestHome.js";
import { AS_OF_DATE, EXPECTED_AFTER_SET_1, EXPECTED_AFTER_SET_2 } from "../pipeline/expected-reference.js";
import { REFERENCE, tempHome } from "../pipeline/pipelineHarness.js";
import { pulseCli as pulse, referenceDifferences } from "../pipeline/referenceChecks.js";
import { demoDatabase } from "./postgresTestDb.js";

describe("registrations and gym visits from PostgreSQL instead of landing CSV files", () => {
  it("gives the landing path's bronze counts, silver and gold, copying the reference sets in two batches", async () => {
    const url = await demoDatabase("reference");
    const home = tempHome();
    const vars = `as_of_date=${AS_OF_DATE}`;
    for (const n of [1, 2] as const) {
      // The Kafka feeds still arrive as landing files; the two CSV feeds come from the database.
      // The CLI keeps the default environment's state, its landing zone included, in <home>/dev.
      for (const file of referenceSet(n).kafka_multiplex) await landReference(path.join(home, "dev"), "kafka_multiplex", file);
      expect(pulse(home, "produce", "--to", "postgres", "--url", url, "--from", REFERENCE, "--iteration", String(n))).toMatch(/inserted 13 rows/);
      pulse(home, "ingest", "--source", "postgres", "--once", "--url", url);
      pulse(home, "ingest", "--source", "landing", "--once");
      pulse(home, "run", "--vars", vars);
      expect(referenceDifferences(home, n === 1 ? EXPECTED_AFTER_SET_1 : EXPECTED_AFTER_SET_2)).toBeUndefined();
    }
    const provenance = JSON.parse(pulse(home, "query", "--format", "json", "select _source, _source_line from bronze.gym_logins order by _source_line limit 1")) as {
      _source: string;
      _source_line: string;
    }[];
    expect(provenance[0]?._source).toBe("postgres:public.gym_logins#1");
    // The cursor: updated_at in µs since the epoch, recent.
    expect(Number(provenance[0]?._source_line) / 1e6).toBeGreaterThan(Date.now() / 1000 - 3600);
    // Two full graph runs over 500k readings: 62 s alone, over 120 s beside other suites on the shared 2 cores.
  }, 600_000);
});
