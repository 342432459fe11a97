import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StorageWriter, type StorageRow } from "../../runner/adapters/bigquery/storageWrite.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { startInitialisedEmulator, type InitialisedEmulator } from "./privateEmulator.js";

let bigquery: InitialisedEmulator;
const storageHost = process.env.BIGQUERY_STORAGE_EMULATOR_HOST;

// An emulator per test: each kills its own.
beforeEach(async () => {
  bigquery = await startInitialisedEmulator();
  process.env.BIGQUERY_STORAGE_EMULATOR_HOST = bigquery.env.BIGQUERY_STORAGE_EMULATOR_HOST;
});

afterEach(async () => {
  bigquery?.emulator.thaw();
  if (storageHost === undefined) delete process.env.BIGQUERY_STORAGE_EMULATOR_HOST;
  else process.env.BIGQUERY_STORAGE_EMULATOR_HOST = storageHost;
  await bigquery?.emulator.stop();
});

const DEADLINE_MS = 2_000;
const COLUMNS = [{ name: "reason", type: "STRING" }];

describe("StorageWriter when BigQuery goes away between two batches", () => {
  // The client's own settings retry an unreachable server for 10–20 minutes; this batch opens no connection to lose,
  // so only the call deadline ends it (the landing sink's outage test mostly loses an open append connection instead).
  it("fails the next batch within its call deadline, in one line naming the call", async () => {
    const writer = await StorageWriter.open(BIGQUERY_EMULATOR_PROJECT, DEADLINE_MS);
    try {
      const table = writer.tablePath("bronze", "dead_letters");
      await writer.appendBatch(table, COLUMNS, [{ reason: "before the outage" }], () => 32);
      await bigquery.emulator.kill();
      const started = performance.now();
      const failure = await writer
        .appendBatch(table, COLUMNS, [{ reason: "during the outage" }], () => 32)
        .then(
          () => undefined,
          (error: unknown) => error as Error,
        );
      // Past the deadline by at most one pause between retries (here 2 s).
      expect((performance.now() - started) / 1000).toBeLessThan(DEADLINE_MS / 1000 + 4);
      expect(failure?.message).toMatch(/^creating a write stream: no answer within 2 s \(14 UNAVAILABLE: .*ECONNREFUSED 127\.0\.0\.1:\d+\.?\)$/);
      expect(failure?.message).not.toContain("\n");
    } finally {
      writer.close();
    }
  });

  // A landing file is appended in parts read from DuckDB; the first part's append fails while the next is read.
  it("fails a batch whose connection is lost between two of its parts in one line, not as an unhandled rejection", async () => {
    const writer = await StorageWriter.open(BIGQUERY_EMULATOR_PROJECT, DEADLINE_MS);
    const emulator = bigquery.emulator;
    async function* parts(): AsyncIterable<StorageRow[]> {
      yield [{ reason: "part 1" }];
      await emulator.kill();
      await sleep(500);
      yield [{ reason: "part 2" }];
    }
    try {
      await expect(writer.appendBatch(writer.tablePath("bronze", "dead_letters"), COLUMNS, parts(), () => 32)).rejects.toThrow(/^appending rows: .*(UNAVAILABLE|Connection failure)/);
    } finally {
      writer.close();
    }
  });

  // A server that stops answering while the connection stays open (hung, or cut off without a reset): no error ever
  // reaches the append, and without a deadline of its own the batch, and the load with it, waited on. A fresh-clone
  // CI run's landing load printed its failure (another lane's lost connection) and then ran on for over 130 s.
  it("fails a batch whose appends get no answer within the call deadline, in one line", async () => {
    const writer = await StorageWriter.open(BIGQUERY_EMULATOR_PROJECT, DEADLINE_MS);
    const emulator = bigquery.emulator;
    async function* parts(): AsyncIterable<StorageRow[]> {
      yield [{ reason: "part 1" }];
      emulator.freeze();
      yield [{ reason: "part 2" }];
    }
    try {
      const started = performance.now();
      await expect(writer.appendBatch(writer.tablePath("bronze", "dead_letters"), COLUMNS, parts(), () => 32)).rejects.toThrow(/^appending rows: no answer within 2 s$/);
      expect((performance.now() - started) / 1000).toBeLessThan(DEADLINE_MS / 1000 + 4);
    } finally {
      writer.close();
    }
  }, 60_000);
});
