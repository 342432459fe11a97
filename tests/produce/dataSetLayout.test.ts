import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findDataSetFiles, parseDataSetFileName } from "../../produce/dataSetLayout.js";
import { UserError } from "../../lib/errors.js";
import { REFERENCE } from "../referenceData.js";

describe("data-set layout", () => {
  it("reads feed, landing folder, iteration and compression from a file name", () => {
    expect(parseDataSetFileName("/x/reconstructed/3-bpm_1.json.gz")).toMatchObject({ feed: "bpm", landingFeed: "kafka_multiplex", iteration: 1, gzip: true, name: "3-bpm_1.json.gz" });
    expect(parseDataSetFileName("5-gym_logins_12.csv")).toMatchObject({ feed: "gym_logins", landingFeed: "gym_logins", iteration: 12, gzip: false });
    expect(parseDataSetFileName("1-registered_users_2.csv")).toMatchObject({ feed: "registered_users", landingFeed: "registered_users" });
  });

  it("is not fooled by other files or mismatched numbers and extensions", () => {
    for (const name of ["6-date-lookup.json", "README.md", "3-registered_users_1.csv", "3-bpm_1.csv", "2-user_info.json", "2-user_info_1.json.bak"]) {
      expect(parseDataSetFileName(name), name).toBeUndefined();
    }
  });

  it("finds each iteration of the reference data set across its subfolders, in feed order", async () => {
    for (const iteration of [1, 2]) {
      const files = await findDataSetFiles(REFERENCE, iteration);
      expect(files.map((f) => path.relative(REFERENCE, f.path))).toEqual([
        `test_data/1-registered_users_${iteration}.csv`,
        `test_data/2-user_info_${iteration}.json`,
        `${iteration === 1 ? "reconstructed" : "synthetic"}/3-bpm_${iteration}.json.gz`,
        `test_data/4-workout_${iteration}.json`,
        `test_data/5-gym_logins_${iteration}.csv`,
      ]);
    }
    expect(await findDataSetFiles(REFERENCE)).toHaveLength(10);
  });

  it("refuses a data set with two files for one feed and iteration", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pulse-layout-"));
    mkdirSync(path.join(dir, "a"));
    writeFileSync(path.join(dir, "3-bpm_1.json"), "");
    writeFileSync(path.join(dir, "a", "3-bpm_1.json.gz"), "");
    await expect(findDataSetFiles(dir, 1)).rejects.toThrow(UserError);
    await expect(findDataSetFiles(path.join(dir, "missing"))).rejects.toThrow(/--from/);
  });
});
