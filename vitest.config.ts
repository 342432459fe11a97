import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Suites spawn the CLI, DuckDB and local brokers; two cores do not gain from more parallel files.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Kafka and the Pub/Sub emulator for tests/ingest (started only if not already running).
    globalSetup: ["tests/ingest/globalSetup.ts"],
  },
});
