import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { homePaths } from "../../lib/home.js";
import { Random } from "../../produce/random.js";

/**
 * Splits a generated landing zone into the data of a full run and the data an incremental run adds after it.
 *
 * `splitZone`: what arrived on time and what arrives late, as a realistic zone looks:
 * - on time: per time slice, ONE Kafka-envelope file holding that slice's three topics (bpm, workout, user_info)
 *   mixed, every third one gzipped; the CSV feeds keep their per-slice files;
 * - late: a random `share` of the lines of every file, from every slice (so late readings, late workout stops,
 *   late registrations and late CDC events spread over the whole period), in a few mixed files, some gzipped.
 * The choice is seeded: every sample of a bench gets the same split.
 *
 * `splitAtSlice`: the stream up to a time slice, and the next slice: new data at the head of time, as a run every few
 * minutes over a live stream sees it.
 */

export interface ZoneSplit {
  fullLines: number;
  addedLines: number;
  fullFiles: number;
  addedFiles: number;
}

const FEEDS = ["registered_users", "gym_logins", "kafka_multiplex"] as const;
const LATE_FILES_PER_FEED = 6;

function lines(file: string): string[] {
  const raw = fs.readFileSync(file);
  const text = file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  return text.split("\n").filter((l) => l.trim() !== "");
}

function write(folder: string, name: string, body: string[], gzip: boolean): void {
  fs.mkdirSync(folder, { recursive: true });
  const text = `${body.join("\n")}\n`;
  fs.writeFileSync(path.join(folder, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(text, { level: 1 }) : text);
}

/** The time slice of a generated file (the `-bNNN-` in its name). */
export function sliceOf(name: string): number {
  return Number(/-b(\d+)-/.exec(name)?.[1]);
}

/** Writes the on-time zone into `onTime`'s landing and the late lines into `late`'s. */
export function splitZone(generated: string, onTime: string, late: string, share: number): ZoneSplit {
  const random = new Random(`late-${share}`);
  const split: ZoneSplit = { fullLines: 0, addedLines: 0, fullFiles: 0, addedFiles: 0 };
  for (const feed of FEEDS) {
    const from = path.join(homePaths(generated).landing, feed);
    const csv = feed !== "kafka_multiplex";
    const bySlice = new Map<number, string[]>();
    for (const name of fs.readdirSync(from).sort()) bySlice.set(sliceOf(name), [...(bySlice.get(sliceOf(name)) ?? []), name]);
    const held: string[] = [];
    let header: string | undefined;
    for (const [slice, names] of [...bySlice].sort(([a], [b]) => a - b)) {
      const kept: string[] = [];
      for (const name of names) {
        const body = lines(path.join(from, name));
        if (csv) header = body.shift();
        for (const line of body) (random.next() < share ? held : kept).push(line);
      }
      if (kept.length === 0) continue;
      writeSlice(onTime, feed, slice, header, kept);
      split.fullLines += kept.length;
      split.fullFiles++;
    }
    // Late lines go round-robin into a few files, so each file holds lines from every part of the period.
    const files = Array.from({ length: Math.min(LATE_FILES_PER_FEED, held.length) }, () => [] as string[]);
    held.forEach((line, i) => files[i % files.length]!.push(line));
    files.forEach((body, i) => {
      write(path.join(homePaths(late).landing, feed), csv ? `late-${i}.csv` : `late-${i}-mixed.json`, csv ? [header!, ...body] : body, !csv && i % 2 === 0);
      split.addedFiles++;
    });
    split.addedLines += held.length;
  }
  return split;
}

/** One time slice of a feed as the on-time zone holds it: ONE file per slice, the Kafka topics mixed, every third gzipped. */
function writeSlice(zone: string, feed: (typeof FEEDS)[number], slice: number, header: string | undefined, body: string[]): void {
  const csv = feed !== "kafka_multiplex";
  const stem = `slice-${String(slice).padStart(3, "0")}`;
  write(path.join(homePaths(zone).landing, feed), csv ? `${stem}.csv` : `${stem}-mixed.json`, csv ? [header!, ...body] : body, !csv && slice % 3 === 0);
}

/**
 * Writes the slices before slice k into `onTime`'s landing and slice k into `next`'s; later slices are left out. k is
 * the latest slice holding `share` to twice `share` of the lines before it (readings follow the wearers' day, so
 * slices range from a few lines at night to 2% of the data).
 */
export function splitAtSlice(generated: string, onTime: string, next: string, share: number): ZoneSplit {
  const bodies = new Map<string, { header?: string; lines: string[] }>();
  const linesPerSlice = new Map<number, number>();
  const files = FEEDS.flatMap((feed) => fs.readdirSync(path.join(homePaths(generated).landing, feed)).map((name) => ({ feed, name, slice: sliceOf(name) })));
  for (const { feed, name, slice } of files) {
    const body = lines(path.join(homePaths(generated).landing, feed, name));
    const header = feed !== "kafka_multiplex" ? body.shift() : undefined;
    const key = `${feed}/${slice}`;
    bodies.set(key, { header: header ?? bodies.get(key)?.header, lines: [...(bodies.get(key)?.lines ?? []), ...body] });
    linesPerSlice.set(slice, (linesPerSlice.get(slice) ?? 0) + body.length);
  }
  let before = 0;
  let chosen: number | undefined;
  for (const [slice, count] of [...linesPerSlice].sort(([a], [b]) => a - b)) {
    if (before > 0 && count >= share * before && count <= 2 * share * before) chosen = slice;
    before += count;
  }
  if (chosen === undefined) throw new Error(`no time slice holds ${100 * share}% to ${200 * share}% of the lines before it`);
  const split: ZoneSplit = { fullLines: 0, addedLines: 0, fullFiles: 0, addedFiles: 0 };
  for (const [key, { header, lines: body }] of bodies) {
    const [feed, slice] = [key.split("/")[0] as (typeof FEEDS)[number], Number(key.split("/")[1])];
    if (slice > chosen || body.length === 0) continue;
    writeSlice(slice < chosen ? onTime : next, feed, slice, header, body);
    if (slice < chosen) {
      split.fullLines += body.length;
      split.fullFiles++;
    } else {
      split.addedLines += body.length;
      split.addedFiles++;
    }
  }
  return split;
}
