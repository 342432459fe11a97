import { defineConfig } from "vitest/config";

// The stream suites push the reference sets (253k+ messages) through the Kafka broker and the Pub/Sub emulator.
// Beside the rest of the suite on 2 cores, the emulator fell to ~500 msg/s and the set-1 test timed out; alone it
// passed in 84 s. So they run as a second group, after every other file has finished.
const STREAM_SUITES = ["tests/ingest/pubsub.test.ts", "tests/ingest/kafka*.test.ts", "tests/stream/**/*.test.ts"];

export default defineConfig({
  test: {
    // Suites spawn the CLI, DuckDB and local brokers; two cores do not gain from more parallel files.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Kafka, the emulators and PostgreSQL for tests/ingest and tests/postgres (started only if not already running).
    globalSetup: ["tests/ingest/globalSetup.ts"],
    projects: [
      { extends: true, test: { name: "core", include: ["tests/**/*.test.ts"], exclude: STREAM_SUITES, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "streams", include: STREAM_SUITES, sequence: { groupOrder: 1 } } },
    ],
  },
});
