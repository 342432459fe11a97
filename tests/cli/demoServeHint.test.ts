import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../lib/home.js";

it("pulse demo ends with the serve command for the home and environment it was given, not the environment's folder", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-demo-hint-"));
  const result = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, "dist", "cli", "main.js"), "demo", "--home", home, "--env", "qa", "--users", "3", "--days", "1"], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.trim().split("\n");
  expect(lines.at(-1)).toMatch(new RegExp(`^  npx pulse serve --home ${home} --env qa  `));
  expect(fs.existsSync(path.join(home, "qa", "warehouse.duckdb"))).toBe(true);
});
