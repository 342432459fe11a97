import { randomBytes } from "node:crypto";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { fileKey, scanFile, stampFile } from "../../ingest/landing/fileIdentity.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { loadLandingFile } from "../../ingest/landing/loadLandingFile.js";
import { writeGroupRecord } from "../../ingest/landing/landingGroups.js";
import { manifestPath, readManifest } from "../../ingest/landing/landingManifest.js";
import { landingFileFormat, type LandingFeed } from "../../ingest/landing/landingFeeds.js";
import { bronze, countRows, envelope, lakeFiles, land, query, tempHome } from "./landingTestHome.js";

const GYM_HEADER = "mac_address,gym,login,logout";
const gymLines = (n: number, file: number) => Array.from({ length: n }, (_, i) => `aa:${file}:${i},${file},${1678521600 + i},${i % 3 === 0 ? "" : 1678526100 + i}`);
const envelopeLines = (n: number, file: number) => Array.from({ length: n }, (_, i) => envelope({ partition: file, offset: i, key: i % 4 === 0 ? null : `k"${i}` }));

/** Small files of every landing feed, the last line of some without a newline, CSV with trailing blank lines. */
async function landSmallFiles(home: string): Promise<string[]> {
  const landed: string[] = [];
  for (let file = 1; file <= 12; file++) {
    const csvEnd = file % 2 === 0 ? "\n\n\n" : "";
    landed.push(await land(home, "gym_logins", `g${file}.csv`, [GYM_HEADER, ...gymLines(file, file)].join("\n") + csvEnd));
    landed.push(await land(home, "kafka_multiplex", `k${file}.json`, envelopeLines(file * 3, file).join("\n") + (file % 2 === 0 ? "\n" : "")));
    landed.push(await land(home, "kafka_multiplex", `z${file}.json.gz`, gzipSync(`${envelopeLines(5, 100 + file).join("\n")}\n`)));
  }
  return landed;
}

/** Bronze rows as loading each file on its own gives them (the reference the grouped load must equal). */
async function loadedOneByOne(home: string, files: string[]): Promise<void> {
  const writer = await LakeWriter.open(home, { threads: 1 });
  try {
    for (const absolute of files) {
      const relative = path.relative(homePaths(home).landing, absolute).split(path.sep).join("/");
      const feed = relative.split("/")[0] as LandingFeed;
      const file = { absolute, relative, feed, ...landingFileFormat(path.basename(absolute))! };
      const key = fileKey(await stampFile(absolute, relative));
      await loadLandingFile(writer, file, key, { lines: scanFile(absolute, file.gzip).then((c) => c.lines) });
    }
  } finally {
    await writer.close();
  }
}

async function sameBronze(a: string, b: string, table: string): Promise<{ onlyA: string; onlyB: string; rows: string }> {
  const rows = (home: string) => `SELECT * EXCLUDE (_ingested_at, _batch) FROM ${bronze(home, table)}`;
  const [result] = await query(
    `SELECT (SELECT count(*) FROM (${rows(a)} EXCEPT ALL ${rows(b)})) AS onlyA, (SELECT count(*) FROM (${rows(b)} EXCEPT ALL ${rows(a)})) AS onlyB, (SELECT count(*) FROM (${rows(a)})) AS rows`,
  );
  return result as { onlyA: string; onlyB: string; rows: string };
}

/**
 * Loads gym files g1..g<count> as one group, then leaves the state a crash right after the group's commit leaves:
 * the batch and its group record, no manifest entries. Returns the batch's file name and tag.
 */
async function crashAfterGroupCommit(home: string, count: number): Promise<{ batchFile: string; tag: string }> {
  const relative = (file: number) => `gym_logins/g${file}.csv`;
  for (let file = 1; file <= count; file++) await land(home, "gym_logins", `g${file}.csv`, [GYM_HEADER, ...gymLines(file, file)].join("\n"));
  await loadLandingOnce(home);
  const [batchFile] = await lakeFiles(home, "gym_logins");
  const tag = batchFile!.slice(-"0123456789abcdef0123.parquet".length, -".parquet".length);
  const members = await Promise.all(
    Array.from({ length: count }, async (_, i) => ({ path: relative(i + 1), key: fileKey(await stampFile(path.join(homePaths(home).landing, relative(i + 1)), relative(i + 1))) })),
  );
  await writeGroupRecord(homePaths(home), tag, { members });
  await rm(manifestPath(homePaths(home)));
  return { batchFile: batchFile!, tag };
}

describe("landing groups: small files share a batch", () => {
  it("loads small files of a feed and compression as one batch, with the same bronze rows as one by one", async () => {
    const grouped = await tempHome();
    await landSmallFiles(grouped);
    const summary = await loadLandingOnce(grouped);
    expect(summary.loaded).toHaveLength(36);
    expect(summary.deadLetters).toBe(0);
    // One batch per feed and compression: gym CSV, envelope JSON, envelope JSON gzip.
    expect(await lakeFiles(grouped, "gym_logins")).toHaveLength(1);
    expect(await lakeFiles(grouped, "kafka_multiplex")).toHaveLength(2);

    const single = await tempHome();
    await loadedOneByOne(single, await landSmallFiles(single));
    expect(await lakeFiles(single, "kafka_multiplex")).toHaveLength(24);
    expect(await sameBronze(grouped, single, "gym_logins")).toEqual({ onlyA: "0", onlyB: "0", rows: String((12 * 13) / 2) });
    expect(await sameBronze(grouped, single, "kafka_multiplex")).toEqual({ onlyA: "0", onlyB: "0", rows: String(3 * ((12 * 13) / 2) + 12 * 5) });

    // The manifest has one entry per file, each naming the group batch and its own rows; no group record is left.
    const { entries } = await readManifest(homePaths(grouped));
    expect(entries.get("gym_logins/g7.csv")).toMatchObject({ rows: 7, deadLetters: 0, batches: [(await lakeFiles(grouped, "gym_logins"))[0]!.slice(17, -8)] });
    expect(entries.get("kafka_multiplex/k5.json")).toMatchObject({ rows: 15, deadLetters: 0 });
    expect(await readdir(path.join(homePaths(grouped).ingestState, "landing-groups"))).toEqual([]);
    expect((await loadLandingOnce(grouped)).skipped).toBe(36);
  });

  it("loads a group one file at a time when a file has a bad line, a blank line or a wrong header: only those are set aside", async () => {
    const home = await tempHome();
    await land(home, "kafka_multiplex", "a.json", `${envelopeLines(3, 1).join("\n")}\n`);
    await land(home, "kafka_multiplex", "b.json", `${envelope({ offset: 7 })}\nnot json\n${envelope({ offset: 8 })}\n`);
    await land(home, "kafka_multiplex", "c.json", `${envelope({ offset: 9 })}\n\n${envelope({ offset: 10 })}\n`);
    await land(home, "gym_logins", "g1.csv", [GYM_HEADER, ...gymLines(2, 1)].join("\n"));
    await land(home, "gym_logins", "g2.csv", ["mac,gym,login,logout", ...gymLines(2, 2)].join("\n"));
    const summary = await loadLandingOnce(home);
    expect(summary.loaded).toEqual(["gym_logins/g1.csv", "kafka_multiplex/a.json", "kafka_multiplex/b.json", "kafka_multiplex/c.json"]);
    expect(summary.quarantined.map((q) => [q.file, q.reason])).toEqual([["gym_logins/g2.csv", "wrong CSV header: expected 'mac_address,gym,login,logout', found 'mac,gym,login,logout'"]]);
    expect(await query(`SELECT source, line, reason FROM ${bronze(home, "dead_letters")}`)).toEqual([{ source: "landing:kafka_multiplex/b.json", line: "2", reason: "not a JSON object" }]);
    // c.json's blank line is skipped and the line after it keeps its number.
    expect(await query(`SELECT "offset", _source_line FROM ${bronze(home, "kafka_multiplex")} WHERE _source LIKE '%c.json' ORDER BY 1`)).toEqual([
      { offset: "9", _source_line: "1" },
      { offset: "10", _source_line: "3" },
    ]);
    expect(await countRows(home, "kafka_multiplex")).toBe(3 + 2 + 2);
    expect(await countRows(home, "gym_logins")).toBe(2);
    expect(await readdir(path.join(homePaths(home).ingestState, "landing-groups"))).toEqual([]);
  });

  it("loads large files (over 1 MiB) in groups read file by file, gzip from their copies, with each file's own line numbers", async () => {
    const home = await tempHome();
    // Random keys: a gzip file needs incompressible text to stay above 1 MiB.
    const bigLines = (n: number, file: number) => Array.from({ length: n }, (_, i) => envelope({ partition: file, offset: i, key: randomBytes(100).toString("hex") }));
    for (const file of [1, 2]) await land(home, "kafka_multiplex", `big${file}.json`, `${bigLines(5_000 * file, file).join("\n")}\n`);
    for (const file of [3, 4]) await land(home, "kafka_multiplex", `big${file}.json.gz`, gzipSync(`${bigLines(10_000, file).join("\n")}\n`));
    // A bad line sets its group aside: each of its files then loads on its own, dead-lettering that line.
    await land(home, "gym_logins", "big5.csv", [GYM_HEADER, ...gymLines(40_000, 5)].join("\n"));
    await land(home, "gym_logins", "big6.csv", [GYM_HEADER, ...gymLines(20_000, 6), "aa:bb,five,1,2", ...gymLines(20_000, 7)].join("\n"));
    const summary = await loadLandingOnce(home);
    expect(summary.loaded).toHaveLength(6);
    expect(await lakeFiles(home, "kafka_multiplex")).toHaveLength(2);
    expect(await lakeFiles(home, "gym_logins")).toHaveLength(2);
    expect(
      await query(
        `SELECT _source, count(*) AS n, min(_source_line) AS first, max(_source_line) AS last, bool_and(_source_line = "offset" + 1) AS numbered FROM ${bronze(home, "kafka_multiplex")} GROUP BY 1 ORDER BY 1`,
      ),
    ).toEqual(
      [
        ["big1.json", "5000"],
        ["big2.json", "10000"],
        ["big3.json.gz", "10000"],
        ["big4.json.gz", "10000"],
      ].map(([name, n]) => ({ _source: `landing:kafka_multiplex/${name}`, n, first: "1", last: n, numbered: true })),
    );
    expect(await query(`SELECT source, line, reason FROM ${bronze(home, "dead_letters")}`)).toEqual([{ source: "landing:gym_logins/big6.csv", line: "20002", reason: "gym must be an integer" }]);
    expect(await countRows(home, "gym_logins")).toBe(80_000);
    expect(await readdir(homePaths(home).lakeTmp)).toEqual([]);
  });

  it("after a crash between a group's commit and its manifest entries, recovers every file of the group without reloading", async () => {
    const home = await tempHome();
    const { batchFile } = await crashAfterGroupCommit(home, 3);
    // A record of a group whose batch never committed names nothing loaded.
    await writeGroupRecord(homePaths(home), "0".repeat(20), { members: [{ path: "gym_logins/gone.csv", key: "1".repeat(20) }] });

    const recovered = await loadLandingOnce(home);
    expect(recovered.loaded).toEqual([]);
    expect(recovered.recovered).toEqual(["gym_logins/g1.csv", "gym_logins/g2.csv", "gym_logins/g3.csv"]);
    expect(await lakeFiles(home, "gym_logins")).toEqual([batchFile]);
    const { entries } = await readManifest(homePaths(home));
    expect([1, 2, 3].map((file) => entries.get(`gym_logins/g${file}.csv`)?.rows)).toEqual([1, 2, 3]);
    expect(await readdir(path.join(homePaths(home).ingestState, "landing-groups"))).toEqual([]);
    expect(JSON.parse((await readFile(manifestPath(homePaths(home)), "utf8")).split("\n")[0]!)).toMatchObject({ batches: [batchFile.slice(17, -8)] });
  });

  it("records a group's files in one manifest write; a crash tearing its last line leaves that file to recovery, not to a reload", async () => {
    const home = await tempHome();
    const { batchFile, tag } = await crashAfterGroupCommit(home, 3);
    await loadLandingOnce(home);
    const manifest = await readFile(manifestPath(homePaths(home)), "utf8");
    expect(manifest.trimEnd().split("\n")).toHaveLength(3);
    // The state a crash inside the group's write leaves: its first lines whole, the last torn, the group record kept.
    await writeFile(manifestPath(homePaths(home)), manifest.slice(0, manifest.trimEnd().lastIndexOf("\n") + 40));
    const [, , torn] = manifest
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { path: string });
    await writeGroupRecord(homePaths(home), tag, {
      members: await Promise.all(
        [1, 2, 3].map(async (file) => ({ path: `gym_logins/g${file}.csv`, key: fileKey(await stampFile(path.join(homePaths(home).landing, `gym_logins/g${file}.csv`), `gym_logins/g${file}.csv`)) })),
      ),
    });

    const again = await loadLandingOnce(home);
    expect(again.loaded).toEqual([]);
    expect(again.recovered).toEqual([torn!.path]);
    expect(await lakeFiles(home, "gym_logins")).toEqual([batchFile]);
    expect(await countRows(home, "gym_logins")).toBe(1 + 2 + 3);
  });

  it("keeps a group record while a file it names is away, and recovers that file when it comes back", async () => {
    const home = await tempHome();
    const { batchFile, tag } = await crashAfterGroupCommit(home, 2);
    const landed = (file: number) => path.join(homePaths(home).landing, "gym_logins", `g${file}.csv`);
    // g2 is moved away (a rename keeps its size and mtime) before the loader runs again.
    const away = path.join(homePaths(home).home, "g2.csv");
    await rename(landed(2), away);

    expect((await loadLandingOnce(home)).recovered).toEqual(["gym_logins/g1.csv"]);
    expect(await readdir(path.join(homePaths(home).ingestState, "landing-groups"))).toEqual([`${tag}.json`]);

    await rename(away, landed(2));
    const back = await loadLandingOnce(home);
    expect(back.recovered).toEqual(["gym_logins/g2.csv"]);
    expect(back.loaded).toEqual([]);
    expect(await lakeFiles(home, "gym_logins")).toEqual([batchFile]);
    expect(await readdir(path.join(homePaths(home).ingestState, "landing-groups"))).toEqual([]);
  });
});
