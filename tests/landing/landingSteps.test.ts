import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { committedFiles } from "../../lake/lakeReader.js";
import { classifyLandingFile, type ClassifyContext, type NewFile } from "../../ingest/landing/classifyLanding.js";
import { fileKey } from "../../ingest/landing/fileIdentity.js";
import type { ManifestEntry } from "../../ingest/landing/landingManifest.js";
import { landingLoadUnits, readsFilesApart } from "../../ingest/landing/landingUnits.js";
import { scanLandingZone, type LandingCandidate } from "../../ingest/landing/landingZone.js";
import { tempHome } from "./landingTestHome.js";

const NOW = 1_700_000_000_000;
const candidate = (relative: string, size = 10, mtimeMs = NOW - 60_000): LandingCandidate => ({
  absolute: `/landing/${relative}`,
  relative,
  feed: relative.split("/")[0] as LandingCandidate["feed"],
  size,
  mtimeMs,
});
const context = (overrides: Partial<ClassifyContext> = {}): ClassifyContext => ({ manifest: new Map(), committed: new Map(), nowMs: NOW, settleMs: 1000, ...overrides });
const entry = (c: LandingCandidate, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
  path: c.relative,
  size: c.size,
  mtimeMs: c.mtimeMs,
  sha256: "0".repeat(64),
  batches: [],
  rows: 1,
  deadLetters: 0,
  loadedAt: "2026-01-01T00:00:00Z",
  ...extra,
});

describe("landing load steps, each on its own", () => {
  it("scan: regular files of each feed, links and other kinds reported, dotfiles and *.tmp out of scope", async () => {
    const home = await tempHome();
    const landing = homePaths(home).landing;
    await mkdir(path.join(landing, "registered_users", "2026", "01"), { recursive: true });
    await writeFile(path.join(landing, "registered_users", "2026", "01", "a.csv"), "x");
    await writeFile(path.join(landing, "registered_users", ".hidden.csv"), "x");
    await writeFile(path.join(landing, "registered_users", "b.csv.tmp"), "x");
    await symlink("/etc/hostname", path.join(landing, "registered_users", "c.csv"));
    await mkdir(path.join(landing, "gym_logins"));
    await symlink(path.join(landing, "registered_users"), path.join(landing, "kafka_multiplex"));
    const scan = await scanLandingZone(homePaths(home));
    expect(scan.candidates.map((c) => [c.relative, c.feed, c.size])).toEqual([["registered_users/2026/01/a.csv", "registered_users", 1]]);
    expect(scan.skipped.map((s) => s.file)).toEqual(["kafka_multiplex", "registered_users/c.csv"]);
  });

  it("classify: ignored, loaded, changed (compared once, then only counted), recovered, settling, new", () => {
    const csv = candidate("registered_users/a.csv");
    expect(classifyLandingFile(candidate("registered_users/notes.txt"), context()).kind).toBe("ignored");
    expect(classifyLandingFile(csv, context({ manifest: new Map([[csv.relative, entry(csv)]]) })).kind).toBe("loaded");
    const grown = { ...csv, size: 20 };
    expect(classifyLandingFile(grown, context({ manifest: new Map([[csv.relative, entry(csv)]]) })).kind).toBe("compare");
    expect(classifyLandingFile(grown, context({ manifest: new Map([[csv.relative, entry(csv, { changeReported: { size: 20, mtimeMs: csv.mtimeMs } })]]) })).kind).toBe("changeReported");
    const key = fileKey({ path: csv.relative, size: csv.size, mtimeMs: csv.mtimeMs });
    const recovered = classifyLandingFile(csv, context({ committed: new Map([["registered_users", new Map([[key, "B1"]])]]) }));
    expect(recovered).toMatchObject({ kind: "recover", dataBatch: "B1" });
    const young = candidate("registered_users/young.csv", 10, NOW - 300);
    expect(classifyLandingFile(young, context())).toEqual({ kind: "settling", waitMs: 700 });
    // Seen unchanged across a settle time: loads, even with an mtime from a clock ahead of ours.
    expect(classifyLandingFile({ ...young, mtimeMs: NOW + 60_000 }, context({ settled: new Set([young.relative]) })).kind).toBe("new");
    expect(classifyLandingFile(csv, context())).toMatchObject({ kind: "new", file: { key, file: { format: "csv", gzip: false, feed: "registered_users" } } });
  });

  it("group: small files of one feed and compression together, large ones by eight, the largest alone, largest first", () => {
    const newFile = (relative: string, size: number): NewFile => {
      const c = candidate(relative, size);
      const decision = classifyLandingFile(c, context());
      if (decision.kind !== "new") throw new Error("expected a new file");
      return decision.file;
    };
    const units = landingLoadUnits(
      [
        newFile("gym_logins/a.csv", 10),
        newFile("gym_logins/b.csv.gz", 10),
        newFile("gym_logins/c.csv", 10),
        newFile("gym_logins/big.csv", 2 << 20),
        newFile("gym_logins/bigger.csv", 3 << 20),
        newFile("gym_logins/d.json", 10),
        newFile("gym_logins/huge.csv", 65 << 20),
        ...Array.from({ length: 9 }, (_, i) => newFile(`gym_logins/large-${i}.csv.gz`, 4 << 20)),
      ],
      undefined,
    );
    expect(units.map((u) => u.map((f) => f.file.relative))).toEqual([
      ["gym_logins/a.csv", "gym_logins/c.csv"],
      ["gym_logins/b.csv.gz"],
      ["gym_logins/huge.csv"],
      Array.from({ length: 8 }, (_, i) => `gym_logins/large-${i}.csv.gz`),
      ["gym_logins/big.csv", "gym_logins/bigger.csv"],
      ["gym_logins/large-8.csv.gz"],
      ["gym_logins/d.json"],
    ]);
    expect(units.map(readsFilesApart)).toEqual([false, false, false, true, true, false, false]);
  });

  it("the lake reader lists a table's committed batches in commit order, never _empty.parquet or _tmp/", async () => {
    const home = await tempHome();
    const writer = await LakeWriter.open(home);
    try {
      const first = await writer.writeRows("gym_logins", [{ mac_address: "a", gym: 1, login: 1, logout: 2, _source: "t", _source_line: 1 }]);
      const second = await writer.writeQuery("gym_logins", "SELECT 'b' AS mac_address, 2 AS gym, 1.0 AS login, NULL AS logout, 't' AS _source, 1 AS _source_line");
      await writeFile(path.join(homePaths(home).lakeTmp, "123-x.parquet"), "not committed");
      const files = await committedFiles(homePaths(home), "gym_logins");
      expect(files.map((f) => [path.basename(f.file), f.batchId])).toEqual([
        [path.basename(first.file), first.batchId],
        [path.basename(second.file), second.batchId],
      ]);
      expect(files[0]!.committedAt < files[1]!.committedAt).toBe(true);
      expect(await committedFiles(homePaths(home), "dead_letters")).toEqual([]);
    } finally {
      await writer.close();
    }
  });
});
