import { describe, expect, it } from "vitest";
import { produceToPostgres, replayRows, syntheticRows } from "../../produce/toPostgres.js";
import { startOfDay } from "../../produce/synthetic/config.js";
import { REFERENCE, tempHome } from "../pipeline/pipelineHarness.js";
import { pulseCli as pulse } from "../pipeline/referenceChecks.js";
import { demoDatabase, sql } from "./postgresTestDb.js";

const counts = async (url: string) => sql(url, "SELECT (SELECT count(*)::int FROM registered_users) AS users, (SELECT count(*)::int FROM gym_logins) AS visits");

describe("pulse produce --to postgres", () => {
  it("writes the synthetic fleet's registrations and gym visits", async () => {
    const url = await demoDatabase("produce");
    const config = { users: 20, days: 2, seed: 3, start: startOfDay("2023-03-10") };
    const rows = [...syntheticRows(config)];
    const out = pulse(tempHome(), "produce", "--to", "postgres", "--url", url, "--synthetic", "--users", "20", "--days", "2", "--seed", "3");
    expect(out).toContain(`inserted ${rows.length} rows`);
    expect(await counts(url)).toEqual([{ users: rows.filter((r) => r.table === "registered_users").length, visits: rows.filter((r) => r.table === "gym_logins").length }]);
    const [first] = await sql(url, "SELECT user_id::text, mac_address FROM registered_users ORDER BY id LIMIT 1");
    const want = rows.find((r) => r.table === "registered_users")!.values;
    expect(first).toEqual({ user_id: want[0], mac_address: want[2] });
  });

  it("paces to the rate: 13 rows of a reference set at 8 rows/s take at least 1.4 s", async () => {
    const url = await demoDatabase("rate");
    const started = Date.now();
    const sent = await produceToPostgres(replayRows(REFERENCE, 1), { url, rate: 8, progressMs: 60_000, log: () => undefined });
    expect(sent).toBe(13);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await counts(url)).toEqual([{ users: 5, visits: 8 }]);
  });
});
