import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { scanFile } from "../../ingest/landing/fileIdentity.js";
import { isUnreadableFileError, loadLandingFile, type LandingFile } from "../../ingest/landing/loadLandingFile.js";
import type { LandingFeed } from "../../ingest/landing/landingFeeds.js";
import { envelope, query, tempHome } from "./landingTestHome.js";

/** Good lines that exercise every conversion: escapes, a null key, a float and a millisecond timestamp, blank lines. */
const GOOD_KAFKA = [
  envelope({ offset: 1, key: 'a"b\\c' }),
  "",
  envelope({ offset: 2, key: null }),
  envelope({ offset: 3, timestamp: 1678492800000 }),
  "   ",
  envelope({ offset: 4, topic: "t\u0001x", value: '{"note":"ü €"}' }),
  // The payload passes bpm's checks (as on the stream path); the timestamp's ".0" is accepted.
  `{"key":"k","value":"{\\"device_id\\":1,\\"time\\":1,\\"heartrate\\":null}","topic":"bpm","partition":2,"offset":5,"timestamp":1678492800.0}`,
];

const GOOD_GYM = ["mac_address,gym,login,logout", "aa:bb,5,1678521600,1678526100", "aa:cc,6,1678521600.5,", "", "aa:dd,+7,1678521600,1678526100"];

let writer: LakeWriter | undefined;
afterEach(async () => {
  await writer?.close();
  writer = undefined;
});

async function landedFile(home: string, feed: LandingFeed, name: string, lines: string[]): Promise<LandingFile> {
  const absolute = path.join(homePaths(home).landing, feed, name);
  await mkdir(path.dirname(absolute), { recursive: true });
  await writeFile(absolute, `${lines.join("\n")}\n`);
  return { absolute, relative: `${feed}/${name}`, feed, format: feed === "kafka_multiplex" ? "jsonl" : "csv", gzip: false };
}

/** Every bronze column except the ones that name the batch or the file. */
async function bronzeOf(file: string): Promise<Record<string, unknown>[]> {
  return query(`SELECT * EXCLUDE (_source, _ingested_at, _batch) FROM read_parquet('${file}') ORDER BY _source_line`);
}

/** Loads a file the way loadLanding does: with its line count, so envelope files may take the fast path. */
async function load(target: LakeWriter, file: LandingFile, key: string) {
  return loadLandingFile(target, file, key, { lines: scanFile(file.absolute, file.gzip).then((c) => c.lines) });
}

describe("streamed landing load and its checked fallback", () => {
  it.each([
    ["kafka_multiplex", "fast", GOOD_KAFKA.filter((line) => line.trim() !== ""), "not json"],
    ["gym_logins", "streamed", GOOD_GYM, "aa:ee,seven,1678521600,1678526100"],
  ] as const)("%s: a file of good lines streams; the same file plus one bad line is checked and gives the same bronze", async (feed, streamedPath, good, badLine) => {
    const home = await tempHome();
    writer = await LakeWriter.open(home);
    const clean = await load(writer, await landedFile(home, feed, "clean", good), "clean");
    const dirty = await load(writer, await landedFile(home, feed, "dirty", [...good, badLine]), "dirty");
    expect(clean).toMatchObject({ path: streamedPath, deadLetters: 0 });
    expect(dirty).toMatchObject({ path: "checked", deadLetters: 1, rows: clean.rows });
    expect(clean.rows).toBe(good.filter((line, index) => line.trim() !== "" && !(feed === "gym_logins" && index === 0)).length);

    const lake = path.join(homePaths(home).bronze, feed);
    expect(await bronzeOf(`${lake}/*-${clean.batches.at(-1)}.parquet`)).toEqual(await bronzeOf(`${lake}/*-${dirty.batches.at(-1)}.parquet`));
    const dead = await query(`SELECT source, line, decode(raw) AS raw FROM read_parquet('${homePaths(home).bronze}/dead_letters/*-${dirty.batches[0]}.parquet')`);
    expect(dead).toEqual([{ source: `landing:${feed}/dirty`, line: String(good.length + 1), raw: badLine }]);
  });

  it("an envelope file with blank lines is not taken whole (the reader skips them) but checked, with true line numbers", async () => {
    const home = await tempHome();
    writer = await LakeWriter.open(home);
    const blanks = await load(writer, await landedFile(home, "kafka_multiplex", "blanks", GOOD_KAFKA), "blanks");
    expect(blanks).toMatchObject({ path: "checked", deadLetters: 0, rows: 5 });
    const lines = await query(`SELECT _source_line AS line FROM read_parquet('${homePaths(home).bronze}/kafka_multiplex/*-${blanks.batches[0]}.parquet') ORDER BY 1`);
    expect(lines.map((r) => Number(r.line))).toEqual([1, 3, 4, 6, 7]);
  });

  it("without a line count an envelope file streams through the line checks, giving the same bronze", async () => {
    const home = await tempHome();
    writer = await LakeWriter.open(home);
    const good = GOOD_KAFKA.filter((line) => line.trim() !== "");
    const counted = await load(writer, await landedFile(home, "kafka_multiplex", "counted", good), "counted");
    const uncounted = await loadLandingFile(writer, await landedFile(home, "kafka_multiplex", "uncounted", good), "uncounted");
    expect(counted).toMatchObject({ path: "fast", rows: good.length });
    expect(uncounted).toMatchObject({ path: "streamed", rows: good.length });
    const lake = path.join(homePaths(home).bronze, "kafka_multiplex");
    expect(await bronzeOf(`${lake}/*-${uncounted.batches[0]}.parquet`)).toEqual(await bronzeOf(`${lake}/*-${counted.batches[0]}.parquet`));
  });

  it("an envelope file without a final newline, or with Windows line ends, is taken whole", async () => {
    const home = await tempHome();
    writer = await LakeWriter.open(home);
    const good = GOOD_KAFKA.filter((line) => line.trim() !== "");
    const file = await landedFile(home, "kafka_multiplex", "crlf", []);
    await writeFile(file.absolute, good.join("\r\n"));
    expect(await load(writer, file, "crlf")).toMatchObject({ path: "fast", rows: good.length, deadLetters: 0 });
  });

  // The fast path must accept exactly the envelopes the checked path accepts, or a file's fate would depend on
  // which path read it. Each line is loaded alone both ways.
  it.each([
    ...GOOD_KAFKA.filter((line) => line.trim() !== ""),
    envelope({ value: 123 }),
    envelope({ value: { device_id: 1 } }),
    envelope({ value: null }),
    envelope({ key: 5 }),
    envelope({ topic: "" }),
    envelope({ topic: undefined }),
    envelope({ topic: ["bpm"] }),
    envelope({ partition: "5" }),
    envelope({ partition: -1 }),
    envelope({ partition: 1.5 }),
    envelope({ partition: 1234567890 }),
    `{"key":"k","value":"v","topic":"bpm","partition":1e3,"offset":1,"timestamp":1678410000}`,
    envelope({ offset: "7" }),
    envelope({ offset: 1e19 }),
    envelope({ timestamp: 1678410000.5 }),
    envelope({ timestamp: "1678410000" }),
    envelope({ timestamp: 1e15 }),
    envelope({ timestamp: -5 }),
    "not json",
    "[1, 2]",
    "null",
    `"a string"`,
    `${envelope({})} trailing`,
    `${envelope({})}${envelope({})}`,
    `{"key":"k","value":"v","topic":"bpm",`,
  ])("fast and checked paths agree on %s", async (line) => {
    const home = await tempHome();
    writer = await LakeWriter.open(home);
    const fast = await load(writer, await landedFile(home, "kafka_multiplex", "a", [line]), "a");
    const checked = await loadLandingFile(writer, await landedFile(home, "kafka_multiplex", "b", [line]), "b", { lines: Promise.resolve(undefined) });
    expect(checked.path).toBe("checked");
    expect(fast.path === "fast", `fast path ${fast.path}, checked path ${checked.deadLetters} dead letter(s)`).toBe(checked.deadLetters === 0);
  });
});

describe("which DuckDB errors make a landing file unreadable", () => {
  const file = "/home/p/landing/kafka_multiplex/a.json.gz";
  it.each([
    [`IO Error: Input is not a GZIP stream: ${file}`, true],
    ["Invalid Input Error: CSV Error on Line: 1 ... This file is not utf-8 encoded.", true],
    ["Conversion Error: Could not convert string 'x' to INT32", true],
    // The batch being written, not the file being read: the lake's problem, never the file's.
    ['IO Error: Could not write file "/home/p/lake/_tmp/b-kafka_multiplex.parquet": No space left on device', false],
    ["Out of Memory Error: could not allocate block", false],
  ])("%s → %s", (message, unreadable) => {
    expect(isUnreadableFileError(message, file)).toBe(unreadable);
  });
});
