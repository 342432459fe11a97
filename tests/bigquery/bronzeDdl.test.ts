import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { PROJECT } from "../pipeline/pipelineHarness.js";

// The DDL `pulse bigquery init` runs on BigQuery, pinned so a change to the bronze layout shows in review.
// Rewrite it with UPDATE_GOLDEN=1.
const goldenPath = fileURLToPath(new URL("./__golden__/bigquery-init.sql", import.meta.url));

it("pulse bigquery init --dry-run prints the datasets and bronze DDL of the golden file, without connecting", async () => {
  const result = spawnSync(process.execPath, [path.join(PROJECT, "dist", "cli", "main.js"), "bigquery", "init", "--gcp-project", "acme-prod", "--dry-run"], {
    cwd: PROJECT,
    encoding: "utf8",
    // Nothing listens here: a dry run must not need BigQuery.
    env: { ...process.env, BIGQUERY_EMULATOR_HOST: "http://127.0.0.1:9" },
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  if (process.env.UPDATE_GOLDEN === "1") {
    await writeFile(goldenPath, result.stdout);
    return;
  }
  expect(result.stdout).toBe(await readFile(goldenPath, "utf8"));
});

it("pulse bigquery init without --gcp-project or with another subcommand fails with usage, exit 2", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(PROJECT, "dist", "cli", "main.js"), "bigquery", ...args], { cwd: PROJECT, encoding: "utf8" });
  const missing = cli("init");
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain("--gcp-project");
  const unknown = cli("drop");
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain("unknown command 'drop'");
});
