import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { z } from "zod";
import { findDataSetFiles } from "../../produce/dataSetLayout.js";

const envelope = z.object({ value: z.string() });
const workoutEvent = z.object({ user_id: z.number(), workout_id: z.number(), session_id: z.number(), timestamp: z.number(), action: z.enum(["start", "stop"]) });
const bpmReading = z.object({ time: z.number() });

/** Readings this many seconds either side of a workout are kept too, so the window edges are exercised. */
const MARGIN_S = 60;
/** One reading in ten seconds: ~2,400 rows per set instead of ~250,000, small enough for the emulator. */
const STEP_S = 10;

function readLines(file: string): string[] {
  const buffer = fs.readFileSync(file);
  const text = file.endsWith(".gz") ? zlib.gunzipSync(buffer).toString("utf8") : buffer.toString("utf8");
  return text.split("\n").filter((line) => line.trim() !== "");
}

function valueOf<T>(line: string, schema: z.ZodType<T>): T {
  return schema.parse(JSON.parse(envelope.parse(JSON.parse(line)).value));
}

/**
 * A copy of the reference data set with every feed file unchanged except heart rate: only the readings inside
 * (or within MARGIN_S of) that set's workout windows, one every STEP_S seconds. The goccy emulator takes
 * minutes per 100,000 rows (docs/bigquery.md), so the parity test runs the whole graph on this subset; both
 * warehouses ingest the same files, so their bronze is identical.
 */
export async function writeSmallReference(reference: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-small-reference-"));
  const files = await findDataSetFiles(reference);
  for (const file of files.filter((f) => f.feed !== "bpm")) fs.copyFileSync(file.path, path.join(dir, file.name));
  for (const bpm of files.filter((f) => f.feed === "bpm")) {
    const workouts = files.find((f) => f.feed === "workout" && f.iteration === bpm.iteration);
    if (!workouts) throw new Error(`${reference}: no workout file for ${bpm.name}`);
    const starts = new Map<string, number>();
    const windows: [number, number][] = [];
    for (const line of readLines(workouts.path)) {
      const event = valueOf(line, workoutEvent);
      const key = `${event.user_id}/${event.workout_id}/${event.session_id}`;
      if (event.action === "start") starts.set(key, event.timestamp);
      else if (starts.has(key)) windows.push([starts.get(key)! - MARGIN_S, event.timestamp + MARGIN_S]);
    }
    const kept = readLines(bpm.path).filter((line) => {
      const { time } = valueOf(line, bpmReading);
      return time % STEP_S === 0 && windows.some(([from, to]) => from <= time && time <= to);
    });
    fs.writeFileSync(path.join(dir, `3-bpm_${bpm.iteration}.json`), `${kept.join("\n")}\n`);
  }
  return dir;
}
