import { access } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { BRONZE_TABLE_NAMES, bronzeColumns } from "../../lake/bronzeTables.js";
import { bronzeViewStatements } from "../../lake/bronzeViews.js";
import { EMPTY_BATCH_FILE, ensureLake } from "../../lake/ensureLake.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { storedKafkaMessageId } from "../../lake/kafkaMessageId.js";
import { kafkaSource } from "../../ingest/sources/kafka/incarnation.js";
import { tempHome } from "../landing/landingTestHome.js";

async function warehouse(statements: string[], sql: string[]): Promise<Record<string, unknown>[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
    const results = [];
    for (const q of sql) results.push((await connection.runAndReadAll(q)).getRowObjectsJson() as Record<string, unknown>[]);
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("bronze views", () => {
  it("ensureLake creates the folders and an empty typed batch per table, idempotently", async () => {
    const home = await tempHome();
    await ensureLake(home);
    await ensureLake(home);
    const paths = homePaths(home);
    for (const table of BRONZE_TABLE_NAMES) await access(path.join(paths.bronze, table, EMPTY_BATCH_FILE));
    await access(paths.lakeTmp);
    await access(paths.ingestState);
  });

  it("gives empty, typed views over an empty lake", async () => {
    const home = await tempHome();
    await ensureLake(home);
    const statements = bronzeViewStatements(homePaths(home).lake);
    const queries = BRONZE_TABLE_NAMES.flatMap((t) => [`SELECT count(*) AS n FROM bronze.${t}`, `DESCRIBE bronze.${t}`]);
    const results = await warehouse(statements, queries);
    BRONZE_TABLE_NAMES.forEach((table, i) => {
      expect(results[2 * i]).toEqual([{ n: "0" }]);
      const described = results[2 * i + 1]!.map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
      expect(described).toEqual(bronzeColumns(table).map((c) => `${c.name} ${c.duckdbType}`));
    });
  });

  it("shows committed batches without re-creating the views, in a catalog of choice", async () => {
    const home = await tempHome();
    const writer = await LakeWriter.open(home);
    const statements = ["ATTACH ':memory:' AS proj", ...bronzeViewStatements(homePaths(home).lake, { catalog: "proj" })];
    await writer.writeRows("registered_users", [{ user_id: 1, device_id: 2, mac_address: "m", registration_timestamp: 1.5, _source: "s", _source_line: 2 }]);
    await writer.writeRows("registered_users", [{ user_id: 3, device_id: 4, mac_address: "n", registration_timestamp: 2.5, _source: "s", _source_line: 3 }]);
    await writer.close();
    const [rows] = await warehouse(statements, [`SELECT user_id, registration_timestamp FROM proj.bronze.registered_users ORDER BY user_id`]);
    expect(rows).toEqual([
      { user_id: "1", registration_timestamp: 1.5 },
      { user_id: "3", registration_timestamp: 2.5 },
    ]);
  });

  it("derives kafka_multiplex message_id from the Kafka coordinates where a file leaves it NULL, and keeps a Pub/Sub id and a recreated topic's", async () => {
    const home = await tempHome();
    const writer = await LakeWriter.open(home);
    const message = { key: null, value: "{}", timestamp: 1678492800, date: "2023-03-11", _source_line: null };
    await writer.writeRows("kafka_multiplex", [
      { ...message, topic: "bpm", partition: 2, offset: 41n, message_id: null, _source: "kafka:bpm" },
      { ...message, topic: "workout", partition: null, offset: null, message_id: "9876543210", _source: "pubsub:workout" },
      // The same coordinates in the topic's second incarnation (ingest/sources/kafka/incarnation.ts).
      { ...message, topic: "bpm", partition: 2, offset: 41n, message_id: storedKafkaMessageId("bpm", 2, 41, 1), _source: kafkaSource("bpm", 1) },
    ]);
    await writer.close();
    const [rows] = await warehouse(bronzeViewStatements(homePaths(home).lake), [`SELECT topic, message_id FROM bronze.kafka_multiplex ORDER BY topic, message_id`]);
    expect(rows).toEqual([
      { topic: "bpm", message_id: "bpm/2/41" },
      { topic: "bpm", message_id: "bpm@1/2/41" },
      { topic: "workout", message_id: "9876543210" },
    ]);
  });

  it("renders one CREATE SCHEMA and one view per table", () => {
    const sql = bronzeViewStatements("/lake");
    expect(sql[0]).toBe('CREATE SCHEMA IF NOT EXISTS "bronze"');
    expect(sql[1]).toMatch(/^CREATE OR REPLACE VIEW "bronze"\."registered_users" AS SELECT CAST\("user_id" AS BIGINT\) AS "user_id", /);
    expect(sql[1]).toContain("FROM read_parquet('/lake/bronze/registered_users/*.parquet', filename = true)");
    // _ingested_at is the commit time in the file name, and a snapshot hides later commits.
    expect(sql[1]).toContain("make_timestamp(TRY_CAST(substr(parse_filename(filename), 1, 16) AS BIGINT)) AS _ingested_at");
    expect(bronzeViewStatements("/lake", { snapshotMicros: 1234n })[1]).toMatch(/WHERE TRY_CAST\(.*\) <= 1234$/);
    expect(sql).toHaveLength(5);
  });
});
