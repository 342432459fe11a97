import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { homePaths } from "../../lib/home.js";
import { Random } from "../../produce/random.js";

/**
 * Splits a generated landing zone into what arrived on time and what arrives late, as a realistic zone looks:
 * - on time: per time slice, ONE Kafka-envelope file holding that slice's three topics (bpm, workout, user_info)
 *   mixed, every third one gzipped; the CSV feeds keep their per-slice files;
 * - late: a random `share` of the lines of every file, from every slice (so late readings, late workout stops,
 *   late registrations and late CDC events spread over the whole period), in a few mixed files, some gzipped.
 * The choice is seeded: every sample of a bench gets the same split.
 */

export interface ZoneSplit {
  onTimeLines: number;
  lateLines: number;
  onTimeFiles: number;
  lateFiles: number;
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
  const split: ZoneSplit = { onTimeLines: 0, lateLines: 0, onTimeFiles: 0, lateFiles: 0 };
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
      const stem = `slice-${String(slice).padStart(3, "0")}`;
      write(path.join(homePaths(onTime).landing, feed), csv ? `${stem}.csv` : `${stem}-mixed.json`, csv ? [header!, ...kept] : kept, !csv && slice % 3 === 0);
      split.onTimeLines += kept.length;
      split.onTimeFiles++;
    }
    // Late lines go round-robin into a few files, so each file holds lines from every part of the period.
    const files = Array.from({ length: Math.min(LATE_FILES_PER_FEED, held.length) }, () => [] as string[]);
    held.forEach((line, i) => files[i % files.length]!.push(line));
    files.forEach((body, i) => {
      write(path.join(homePaths(late).landing, feed), csv ? `late-${i}.csv` : `late-${i}-mixed.json`, csv ? [header!, ...body] : body, !csv && i % 2 === 0);
      split.lateFiles++;
    });
    split.lateLines += held.length;
  }
  return split;
}
