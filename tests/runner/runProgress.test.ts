import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RunProgressWriter, readRunProgress } from "../../runner/history/runProgress.js";
import { tempDir } from "./helpers.js";

describe("run progress file", () => {
  it("coalesces a burst of action events into few writes, the latest state always written within the interval and at finish", async () => {
    const home = path.join(tempDir(), "home");
    fs.mkdirSync(home, { recursive: true });
    const writer = new RunProgressWriter(home, "pulse run");
    const written: string[] = [];
    const file = path.join(home, "run-progress.json");
    const watcher = setInterval(() => written.push(fs.readFileSync(file, "utf8")), 5);
    const result = { name: "", type: "table" as const, status: "success" as const, seconds: 0.01, rows: 1 };
    for (let i = 0; i < 20; i++) {
      writer.onProgress({ phase: "start", name: `a${i}` });
      writer.onProgress({ phase: "end", name: `a${i}`, result: { ...result, name: `a${i}` } });
    }
    // The burst came within one interval: the file still shows the run as it started, until the pending write.
    expect(Object.keys(readRunProgress(home)!.actions)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    clearInterval(watcher);
    expect(Object.keys(readRunProgress(home)!.actions)).toHaveLength(20);
    expect(new Set(written).size).toBeLessThanOrEqual(3);
    writer.onProgress({ phase: "start", name: "last" });
    writer.finish();
    const finished = readRunProgress(home)!;
    expect(finished.actions.last).toMatchObject({ status: "running" });
    expect(finished.finishedAt).toBeDefined();
  });
});
