import { describe, expect, it } from "vitest";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { kafkaTimestampDate } from "../../lake/kafkaTimestamp.js";
import { percentile, watchRuns, watchStatusLine, type WatchStatus } from "../../jobs/watchRuns.js";
import type { RunSummary } from "../../runner/execute/results.js";
import { PROJECT, tempHome, VARS } from "../pipeline/pipelineHarness.js";

/** Commits heart-rate messages stamped `timestampMs` (their Kafka timestamp) to the lake, as the stream sink does. */
async function commitReadings(home: string, timestampMs: number, count: number): Promise<void> {
  const writer = await LakeWriter.open(home);
  try {
    const rows = Array.from({ length: count }, (_, i) => ({
      key: "7",
      value: JSON.stringify({ device_id: 7, time: Math.floor(timestampMs / 1000) + i, heartrate: 70 }),
      topic: "bpm",
      partition: 0,
      offset: BigInt(i),
      timestamp: timestampMs,
      date: kafkaTimestampDate(timestampMs),
      message_id: null,
      _source: "kafka:bpm",
      _source_line: null,
    }));
    await writer.writeRows("kafka_multiplex", rows);
  } finally {
    await writer.close();
  }
}

/** Runs `pulse run --watch` until its first run has finished; returns the status and the run's summary. */
async function oneWatchedRun(home: string): Promise<{ status: WatchStatus; summary: RunSummary }> {
  const controller = new AbortController();
  let summary: RunSummary | undefined;
  const status = await watchRuns({
    request: { projectDir: PROJECT, home, selection: { tags: ["silver"] }, vars: VARS, fullRefresh: false, command: "test" },
    intervalMs: 60_000,
    signal: controller.signal,
    onRun: (s) => {
      summary = s;
      controller.abort();
    },
    onError: (error) => {
      controller.abort();
      throw error;
    },
  });
  return { status, summary: summary! };
}

describe("run --watch freshness", { timeout: 120_000 }, () => {
  it("measures from the oldest newly visible message's Kafka timestamp to the end of the run that showed it", async () => {
    const home = tempHome("pulse-fresh-");
    const producedAt = Date.now() - 3_000;
    await commitReadings(home, producedAt, 5);
    const before = Date.now();
    const { status, summary } = await oneWatchedRun(home);
    expect(status.runs).toBe(1);
    // At least the 3 s the message waited before the run, at most that plus the run itself.
    expect(status.freshnessSeconds).toBeGreaterThanOrEqual(3);
    expect(status.freshnessSeconds).toBeLessThanOrEqual((summary.finishedAt.getTime() - producedAt) / 1000 + 0.001);
    expect(summary.finishedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(status.freshnessHistory).toEqual([status.freshnessSeconds]);
    expect(watchStatusLine(summary, status)).toMatch(/freshness \d+\.\ds \(p95 \d+\.\ds\)/);
    // The run's wall and CPU seconds (bench/pipeline/run.ts reads both from this line).
    expect(status.lastRun!.cpuSeconds).toBeGreaterThan(0);
    expect(watchStatusLine(summary, status)).toMatch(/ \| \d+\.\d\ds \(cpu \d+\.\d\ds\) \| /);
  });

  it("reports no freshness for replayed messages with historical timestamps", async () => {
    const home = tempHome("pulse-fresh-");
    await commitReadings(home, Date.UTC(2023, 2, 10), 5);
    const { status, summary } = await oneWatchedRun(home);
    expect(status.runs).toBe(1);
    expect(status.freshnessSeconds).toBeUndefined();
    expect(watchStatusLine(summary, status)).toContain("freshness n/a");
  });

  it("takes the nearest-rank percentile", () => {
    expect(percentile([5, 1, 3, 2, 4], 0.95)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
    expect(percentile([], 0.95)).toBeNaN();
  });
});
