import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { UserError } from "../lib/errors.js";
import type { LandingFeed } from "../lib/feeds.js";
import { findDataSetFiles, type DataSetFile } from "./dataSetLayout.js";
import { copyIntoLanding, type CopyOutcome } from "./landingFile.js";
import { envelopeToRecord, kafkaEnvelopeSchema, type ProducerRecord } from "./producerRecord.js";

export interface ReplayedFile {
  source: string;
  landedAs: string;
  feed: DataSetFile["feed"];
  landingFeed: LandingFeed;
  outcome: CopyOutcome;
}

/** The files of one iteration; an iteration with no files is a user error, not an empty replay. */
export async function iterationFiles(from: string, iteration: number): Promise<DataSetFile[]> {
  const files = await findDataSetFiles(from, iteration);
  if (files.length === 0) throw new UserError(`--iteration ${iteration}: no data-set files of that iteration under --from ${from}`);
  return files;
}

/**
 * Lands iteration `iteration` of the data set under `from` as the reference producer does: each file, byte
 * for byte and under its own name, into its feed's landing folder.
 */
export async function replayToLanding(home: string, from: string, iteration: number): Promise<ReplayedFile[]> {
  const replayed: ReplayedFile[] = [];
  for (const file of await iterationFiles(from, iteration)) {
    const { path, outcome } = await copyIntoLanding(home, file.landingFeed, file.path, file.name);
    replayed.push({ source: file.path, landedAs: path, feed: file.feed, landingFeed: file.landingFeed, outcome });
  }
  return replayed;
}

/** The kafka_multiplex messages of one iteration, file by file in feed order, for the Kafka and Pub/Sub sinks. */
export async function* replayRecords(from: string, iteration: number): AsyncGenerator<ProducerRecord> {
  for (const file of await iterationFiles(from, iteration)) {
    if (file.landingFeed !== "kafka_multiplex") continue;
    let lineNumber = 0;
    for await (const line of readLines(file)) {
      lineNumber += 1;
      if (line.trim() === "") continue;
      yield envelopeToRecord(parseEnvelope(line, `${file.path}:${lineNumber}`));
    }
  }
}

function parseEnvelope(line: string, where: string) {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new UserError(`${where}: not a JSON line`);
  }
  const result = kafkaEnvelopeSchema.safeParse(json);
  if (!result.success) throw new UserError(`${where}: not a kafka_multiplex envelope (${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`);
  return result.data;
}

export function readLines(file: DataSetFile): AsyncIterable<string> {
  const raw = createReadStream(file.path);
  const input: Readable = file.gzip ? raw.pipe(createGunzip()) : raw;
  return createInterface({ input, crlfDelay: Infinity });
}
