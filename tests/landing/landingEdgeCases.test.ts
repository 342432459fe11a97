import { readdir, readFile, rm, utimes, writeFile, appendFile, mkdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { scanFile } from "../../ingest/landing/fileIdentity.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { manifestPath } from "../../ingest/landing/landingManifest.js";
import { REFERENCE, bronze, countRows, envelope, lakeFiles, land, landReference, query, tempHome } from "./landingTestHome.js";

describe("landing loader edge cases", () => {
  it("reads gzip CSV and skips trailing blank lines", async () => {
    const home = await tempHome();
    const csv = await readFile(path.join(REFERENCE, "test_data/1-registered_users_1.csv"));
    expect(csv.toString().endsWith("\n\n\n")).toBe(true);
    await land(home, "registered_users", "users.csv.gz", gzipSync(csv));
    const summary = await loadLandingOnce(home);
    expect(summary.rows.registered_users).toBe(5);
    expect(summary.deadLetters).toBe(0);
    expect(await query(`SELECT max(_source_line) AS last FROM ${bronze(home, "registered_users")}`)).toEqual([{ last: "6" }]);
  });

  it("a gzip file's scan writes its decompressed text for DuckDB to read, and drops the copy of a file that does not decompress", async () => {
    const home = await tempHome();
    const text = `${[envelope({ offset: 1 }), envelope({ offset: 2 })].join("\n")}\n`;
    const whole = await land(home, "kafka_multiplex", "a.json.gz", gzipSync(text));
    const copy = path.join(home, "a.plain");
    expect(await scanFile(whole, true, copy)).toMatchObject({ lines: 2, plainCopy: copy });
    expect(await readFile(copy, "utf8")).toBe(text);
    const truncated = await land(home, "kafka_multiplex", "b.json.gz", gzipSync(text).subarray(0, 20));
    const scanned = await scanFile(truncated, true, copy);
    expect(scanned.gzipProblem).toMatch(/not a complete gzip file/);
    expect(scanned.plainCopy).toBeUndefined();
    await expect(readFile(copy)).rejects.toThrow(/ENOENT/);
  });

  it("loads a large gzip file from its decompressed copy, bad lines and all, and leaves no copy behind", async () => {
    const home = await tempHome();
    // The only file of the zone: a unit of its own (loadLandingUnit's single-file path, which reads the copy).
    const lines = Array.from({ length: 12_000 }, (_, i) => envelope({ offset: i, key: randomBytes(60).toString("hex") }));
    lines[4_999] = "not json";
    await land(home, "kafka_multiplex", "big.json.gz", gzipSync(`${lines.join("\n")}\n`));
    const summary = await loadLandingOnce(home);
    expect(summary.loaded).toEqual(["kafka_multiplex/big.json.gz"]);
    expect(summary.rows.kafka_multiplex).toBe(11_999);
    expect(await query(`SELECT line, reason FROM ${bronze(home, "dead_letters")}`)).toEqual([{ line: "5000", reason: "not a JSON object" }]);
    expect(await query(`SELECT min(_source_line) AS first, max(_source_line) AS last, max("offset") AS offset FROM ${bronze(home, "kafka_multiplex")}`)).toEqual([
      { first: "1", last: "12000", offset: "11999" },
    ]);
    expect(await readdir(homePaths(home).lakeTmp)).toEqual([]);
  });

  it("derives date from Kafka timestamps in seconds and in milliseconds", async () => {
    const home = await tempHome();
    const lines = [
      envelope({ offset: 1, timestamp: 1678492799 }), // 2023-03-10T23:59:59Z in seconds
      envelope({ offset: 2, timestamp: 1678492800000 }), // 2023-03-11T00:00:00Z in milliseconds
      envelope({ offset: 3, timestamp: 99999999999 }), // just under the threshold: seconds (year 5138)
      envelope({ offset: 4, timestamp: 100000000000 }), // at the threshold: milliseconds (1973)
      envelope({ offset: 5, timestamp: 1678492800.0 }),
    ];
    await land(home, "kafka_multiplex", "ts.json", lines.join("\n"));
    await loadLandingOnce(home);
    const rows = await query(`SELECT "offset", "timestamp", CAST(date AS VARCHAR) AS date FROM ${bronze(home, "kafka_multiplex")} ORDER BY "offset"`);
    expect(rows).toEqual([
      { offset: "1", timestamp: "1678492799", date: "2023-03-10" },
      { offset: "2", timestamp: "1678492800000", date: "2023-03-11" },
      { offset: "3", timestamp: "99999999999", date: "5138-11-16" },
      { offset: "4", timestamp: "100000000000", date: "1973-03-03" },
      { offset: "5", timestamp: "1678492800", date: "2023-03-11" },
    ]);
  });

  it("sends each malformed line to dead_letters with file, line, raw text and reason, and loses nothing else", async () => {
    const home = await tempHome();
    const lines = [
      envelope({ offset: 1 }),
      "",
      "not json at all",
      envelope({ offset: 3 }).slice(0, 40),
      "[1, 2, 3]",
      envelope({ offset: 6, value: { device_id: 1 } }),
      envelope({ offset: 7, key: 12 }),
      envelope({ offset: 8, partition: -1 }),
      envelope({ offset: 9.5 }),
      envelope({ offset: 10, timestamp: "1678410000" }),
      envelope({ offset: 11, topic: "" }),
      envelope({ offset: 12, key: null }),
      "   ",
      envelope({ offset: 14 }),
    ];
    await land(home, "kafka_multiplex", "mixed.json", `${lines.join("\n")}\n\n`);
    const summary = await loadLandingOnce(home);
    expect(summary.rows.kafka_multiplex).toBe(3);
    expect(summary.deadLetters).toBe(9);
    const good = await query(`SELECT _source_line, "key" FROM ${bronze(home, "kafka_multiplex")} ORDER BY _source_line`);
    expect(good).toEqual([
      { _source_line: "1", key: "k" },
      { _source_line: "12", key: null },
      { _source_line: "14", key: "k" },
    ]);
    const dead = await query(`SELECT source, feed, line, decode(raw) AS raw, reason, _source, _source_line FROM ${bronze(home, "dead_letters")} ORDER BY line`);
    expect(dead.map((d) => [Number(d.line), d.reason])).toEqual([
      [3, "not a JSON object"],
      [4, "not a JSON object"],
      [5, "not a JSON object"],
      [6, "value must be a JSON string"],
      [7, "key must be a JSON string or null"],
      [8, "partition must be a non-negative integer"],
      [9, "offset must be a non-negative integer"],
      [10, "timestamp must be a non-negative integer (epoch seconds or milliseconds) below 1e15"],
      [11, "topic must be a non-empty JSON string"],
    ]);
    for (const d of dead) {
      expect(d).toMatchObject({ source: "landing:kafka_multiplex/mixed.json", feed: "kafka_multiplex", _source: "landing:kafka_multiplex/mixed.json" });
      expect(d._source_line).toBe(d.line);
      expect(d.raw).toBe(lines[Number(d.line) - 1]);
    }
  });

  it("unescapes keys and topics exactly, with or without escapes", async () => {
    const home = await tempHome();
    const lines = [envelope({ offset: 1, key: 'a"b\\c' }), envelope({ offset: 2, key: "" }), envelope({ offset: 3, key: "ü €", topic: "t\u0001x" })];
    await land(home, "kafka_multiplex", "keys.json", lines.join("\n"));
    await loadLandingOnce(home);
    const rows = await query(`SELECT "key", topic FROM ${bronze(home, "kafka_multiplex")} ORDER BY "offset"`);
    expect(rows).toEqual([
      { key: 'a"b\\c', topic: "bpm" },
      { key: "", topic: "bpm" },
      { key: "ü €", topic: "t\u0001x" },
    ]);
  });

  it("dead-letters bad CSV lines with the field at fault", async () => {
    const home = await tempHome();
    const csv = [
      "mac_address,gym,login,logout",
      "aa:bb,5,1678521600,1678526100",
      "aa:bb,five,1678521600,1678526100",
      "aa:bb,5,1678521600",
      ",5,1678521600,1678526100",
      "aa:bb,5,1678521600,",
      "aa:bb,5.5,1678521600,1678526100",
      'aa:"bb",5,1678521600,1678526100',
      "aa:bb,5,soon,1678526100",
    ].join("\r\n");
    await land(home, "gym_logins", "g.csv", csv);
    const summary = await loadLandingOnce(home);
    expect(summary.rows.gym_logins).toBe(2);
    const kept = await query(`SELECT _source_line, logout FROM ${bronze(home, "gym_logins")} ORDER BY _source_line`);
    expect(kept).toEqual([
      { _source_line: "2", logout: 1678526100 },
      { _source_line: "6", logout: null },
    ]);
    const dead = await query(`SELECT line, reason, decode(raw) AS raw FROM ${bronze(home, "dead_letters")} ORDER BY line`);
    expect(dead).toEqual([
      { line: "3", reason: "gym must be an integer", raw: "aa:bb,five,1678521600,1678526100" },
      { line: "4", reason: "expected 4 comma-separated fields (mac_address,gym,login,logout), found 3", raw: "aa:bb,5,1678521600" },
      { line: "5", reason: "mac_address is empty", raw: ",5,1678521600,1678526100" },
      { line: "7", reason: "gym must be an integer", raw: "aa:bb,5.5,1678521600,1678526100" },
      { line: "8", reason: "mac_address must not contain quotes", raw: 'aa:"bb",5,1678521600,1678526100' },
      { line: "9", reason: "login must be a finite number", raw: "aa:bb,5,soon,1678526100" },
    ]);
  });

  it("quarantines files it cannot read, with a reason, and still loads the others", async () => {
    const home = await tempHome();
    await landReference(home, "gym_logins", "test_data/5-gym_logins_1.csv");
    await land(home, "kafka_multiplex", "fake.json.gz", "this is not gzip\n");
    await land(home, "kafka_multiplex", "latin1.json", Buffer.concat([Buffer.from(`${envelope({})}\n`), Buffer.from([0x7b, 0xe9, 0xff, 0x7d, 0x0a])]));
    await land(home, "registered_users", "wrong-header.csv", "id,device,mac,ts\n1,2,aa,3\n");
    await land(home, "registered_users", "events.json", `${envelope({})}\n`);
    await land(home, "gym_logins", "notes.txt", "hello");
    await land(home, "gym_logins", "control.csv", "mac_address,gym,login,logout\naa\u0001bb,5,1,2\n");
    const summary = await loadLandingOnce(home);
    expect(summary.loaded).toEqual(["gym_logins/5-gym_logins_1.csv"]);
    expect(summary.rows.gym_logins).toBe(8);
    expect(summary.ignored).toEqual(["gym_logins/notes.txt"]);
    const reasons = Object.fromEntries(summary.quarantined.map((q) => [q.file, q.reason]));
    expect(Object.keys(reasons).sort()).toEqual([
      "gym_logins/control.csv",
      "kafka_multiplex/fake.json.gz",
      "kafka_multiplex/latin1.json",
      "registered_users/events.json",
      "registered_users/wrong-header.csv",
    ]);
    expect(reasons["gym_logins/control.csv"]).toMatch(/column/i);
    expect(reasons["kafka_multiplex/fake.json.gz"]).toMatch(/gzip/i);
    expect(reasons["kafka_multiplex/latin1.json"]).toMatch(/utf-8|unicode/i);
    expect(reasons["registered_users/wrong-header.csv"]).toBe("wrong CSV header: expected 'user_id,device_id,mac_address,registration_timestamp', found 'id,device,mac,ts'");
    expect(reasons["registered_users/events.json"]).toBe("registered_users takes CSV (.csv) files");
    const paths = homePaths(home);
    expect(await readdir(path.join(paths.landing, "kafka_multiplex"))).toEqual([]);
    expect((await readdir(path.join(paths.quarantine, "kafka_multiplex"))).sort()).toEqual(["fake.json.gz", "fake.json.gz.reason", "latin1.json", "latin1.json.reason"]);
    expect(await readFile(path.join(paths.quarantine, "kafka_multiplex", "fake.json.gz"), "utf8")).toBe("this is not gzip\n");
    expect(await readFile(path.join(paths.quarantine, "registered_users", "wrong-header.csv.reason"), "utf8")).toContain("wrong CSV header");
    // Nothing half-loaded from the quarantined files.
    expect(await countRows(home, "kafka_multiplex")).toBe(0);
    expect(await countRows(home, "dead_letters")).toBe(0);
    expect(await readdir(paths.lakeTmp)).toEqual([]);
  });

  it("reports a file that changed after it was loaded and does not reload it", async () => {
    const home = await tempHome();
    const file = await land(home, "kafka_multiplex", "a.json", `${envelope({ offset: 1 })}\n`);
    await loadLandingOnce(home);
    // Touched with the same bytes: not a change.
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const touched = await loadLandingOnce(home);
    expect(touched.changed).toEqual([]);
    expect(touched.skipped).toBe(1);
    await appendFile(file, `${envelope({ offset: 2 })}\n`);
    const changed = await loadLandingOnce(home);
    expect(changed.loaded).toEqual([]);
    expect(changed.changed.map((c) => c.file)).toEqual(["kafka_multiplex/a.json"]);
    expect(changed.changed[0]?.detail).toMatch(/changed after it was loaded/);
    expect(await countRows(home, "kafka_multiplex")).toBe(1);
  });

  it("does not load a file twice when a crash came between the batch rename and the manifest write", async () => {
    const home = await tempHome();
    await land(home, "kafka_multiplex", "a.json", `${envelope({ offset: 1 })}\nbad line\n${envelope({ offset: 3 })}\n`);
    await landReference(home, "registered_users", "test_data/1-registered_users_1.csv");
    await loadLandingOnce(home);
    const before = { data: await lakeFiles(home, "kafka_multiplex"), dead: await lakeFiles(home, "dead_letters") };
    // The state a crash right after the renames leaves: batches in the lake, no manifest entry.
    await rm(manifestPath(homePaths(home)));
    const recovered = await loadLandingOnce(home);
    expect(recovered.loaded).toEqual([]);
    expect(recovered.recovered.sort()).toEqual(["kafka_multiplex/a.json", "registered_users/1-registered_users_1.csv"]);
    expect({ data: await lakeFiles(home, "kafka_multiplex"), dead: await lakeFiles(home, "dead_letters") }).toEqual(before);
    expect(await countRows(home, "kafka_multiplex")).toBe(2);
    expect(await countRows(home, "dead_letters")).toBe(1);
    // The recovered entries are in the manifest now: a further run skips them.
    const after = await loadLandingOnce(home);
    expect(after.skipped).toBe(2);
    expect(after.recovered).toEqual([]);
  });

  it("re-commits over an orphan dead-letter batch when the crash came before the data batch", async () => {
    const home = await tempHome();
    await land(home, "kafka_multiplex", "a.json", `${envelope({ offset: 1 })}\nbad line\n`);
    await loadLandingOnce(home);
    const dead = await lakeFiles(home, "dead_letters");
    for (const file of await lakeFiles(home, "kafka_multiplex")) await rm(path.join(homePaths(home).bronze, "kafka_multiplex", file));
    await rm(manifestPath(homePaths(home)));
    const reloaded = await loadLandingOnce(home);
    expect(reloaded.loaded).toEqual(["kafka_multiplex/a.json"]);
    expect(await lakeFiles(home, "dead_letters")).toEqual(dead);
    expect(await countRows(home, "dead_letters")).toBe(1);
    expect(await countRows(home, "kafka_multiplex")).toBe(1);
  });

  it("survives a torn manifest line", async () => {
    const home = await tempHome();
    await land(home, "kafka_multiplex", "a.json", `${envelope({ offset: 1 })}\n`);
    await loadLandingOnce(home);
    await appendFile(manifestPath(homePaths(home)), '{"path":"kafka_multiplex/b.js');
    await land(home, "kafka_multiplex", "b.json", `${envelope({ offset: 2 })}\n`);
    const next = await loadLandingOnce(home);
    expect(next.loaded).toEqual(["kafka_multiplex/b.json"]);
    const last = await loadLandingOnce(home);
    expect(last.skipped).toBe(2);
    expect(await countRows(home, "kafka_multiplex")).toBe(2);
  });

  it("loads files in sub-folders and ignores dotfiles and *.tmp", async () => {
    const home = await tempHome();
    await land(home, "kafka_multiplex", "2023/03/a.json", `${envelope({ offset: 1 })}\n`);
    await land(home, "kafka_multiplex", ".hidden.json", `${envelope({ offset: 2 })}\n`);
    await land(home, "kafka_multiplex", "b.json.tmp", `${envelope({ offset: 3 })}\n`);
    const summary = await loadLandingOnce(home);
    expect(summary.loaded).toEqual(["kafka_multiplex/2023/03/a.json"]);
    expect(await query(`SELECT _source FROM ${bronze(home, "kafka_multiplex")}`)).toEqual([{ _source: "landing:kafka_multiplex/2023/03/a.json" }]);
  });

  it("refuses to run while another landing load holds the lock", async () => {
    const home = await tempHome();
    const paths = homePaths(home);
    await mkdir(paths.ingestState, { recursive: true });
    const holder = (pid: number) => JSON.stringify({ pid, startedAt: new Date().toISOString(), command: "landing load" });
    await writeFile(path.join(paths.ingestState, "landing.lock"), holder(process.pid));
    await expect(loadLandingOnce(home)).rejects.toThrow(/a landing load is running/);
    // A lock left by a process that no longer exists is taken over.
    await writeFile(path.join(paths.ingestState, "landing.lock"), holder(999999999));
    await expect(loadLandingOnce(home)).resolves.toMatchObject({ loaded: [] });
  });
});
