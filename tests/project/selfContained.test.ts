import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Built from parts so that this file does not name the folder it forbids.
const SIBLING = ["..", "shared"].join("/");

/** Every file git would commit: tracked ones plus untracked ones it does not ignore. */
function projectFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" });
  return out.split("\0").filter((f) => f !== "" && !f.startsWith("tests/fixtures/reference-data/"));
}

describe("the repository is self-contained", () => {
  it("no source, test, bench or doc file names the sibling shared folder", () => {
    const offenders = projectFiles().filter((file) => {
      const text = (() => {
        try {
          return readFileSync(path.join(ROOT, file), "utf8");
        } catch {
          return ""; // deleted in the work tree but still in the index
        }
      })();
      return text.includes(SIBLING);
    });
    expect(offenders).toEqual([]);
  });

  it("the reference data set is in the repository", () => {
    for (const file of ["README.md", "reconstructed/3-bpm_1.json.gz", "synthetic/3-bpm_2.json.gz", "test_data/6-date-lookup.json"]) {
      expect(existsSync(path.join(ROOT, "tests/fixtures/reference-data", file)), file).toBe(true);
    }
  });
});
