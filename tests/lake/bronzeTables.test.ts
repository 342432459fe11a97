import { describe, expect, it } from "vitest";
import { BRONZE_TABLE_NAMES, bronzeColumns } from "../../lake/bronzeTables.js";

const asText = (table: (typeof BRONZE_TABLE_NAMES)[number]) => bronzeColumns(table).map((c) => `${c.name} ${c.duckdbType} ${c.bigqueryType}`);
const provenance = ["_source VARCHAR STRING", "_source_line BIGINT INT64", "_ingested_at TIMESTAMP TIMESTAMP", "_batch VARCHAR STRING"];

describe("bronze table contract (docs/architecture.md)", () => {
  it("lists the four bronze tables", () => {
    expect([...BRONZE_TABLE_NAMES]).toEqual(["registered_users", "gym_logins", "kafka_multiplex", "dead_letters"]);
  });

  it("has the documented columns and types, provenance last", () => {
    expect(asText("registered_users")).toEqual(["user_id BIGINT INT64", "device_id BIGINT INT64", "mac_address VARCHAR STRING", "registration_timestamp DOUBLE FLOAT64", ...provenance]);
    expect(asText("gym_logins")).toEqual(["mac_address VARCHAR STRING", "gym BIGINT INT64", "login DOUBLE FLOAT64", "logout DOUBLE FLOAT64", ...provenance]);
    expect(asText("kafka_multiplex")).toEqual([
      "key VARCHAR STRING",
      "value VARCHAR STRING",
      "topic VARCHAR STRING",
      "partition INTEGER INT64",
      "offset BIGINT INT64",
      "timestamp BIGINT INT64",
      "date DATE DATE",
      "message_id VARCHAR STRING",
      ...provenance,
    ]);
    expect(asText("dead_letters")).toEqual([
      "source VARCHAR STRING",
      "feed VARCHAR STRING",
      "line BIGINT INT64",
      "raw BLOB BYTES",
      "reason VARCHAR STRING",
      "dead_lettered_at TIMESTAMP TIMESTAMP",
      ...provenance,
    ]);
  });
});
