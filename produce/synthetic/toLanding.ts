import { UserError } from "../../lib/errors.js";
import { feedFileExtension, feedFileStem, landingFeedOf, SOURCE_FEEDS, type SourceFeed } from "../dataSetLayout.js";
import { LandingFileExistsError, openLandingFile, type LandingFileWriter } from "../landingFile.js";
import { offsetBase, type SyntheticConfig } from "./config.js";
import { syntheticEvents } from "./events.js";
import { bpmEnvelopeLine, envelopeLine, GYM_LOGINS_HEADER, gymLoginCsvLine, kafkaMessage, REGISTERED_USERS_HEADER, registrationCsvLine } from "./render.js";
import type { SyntheticEvent } from "./syntheticEvent.js";

export interface SyntheticLandingOptions {
  home: string;
  config: SyntheticConfig;
  /** Split the simulated time into this many slices, one set of files each (late records land in a later one). */
  batches: number;
  gzip: boolean;
  /** Called every `PROGRESS_EVERY` records with the counts so far. */
  onProgress?: (records: Readonly<Record<SourceFeed, number>>) => void;
  /** Generation stamp that prefixes every file name; defaults to now, so later runs sort after earlier ones. */
  generation?: string;
}

export interface LandedFile {
  path: string;
  feed: SourceFeed;
  batch: number;
  records: number;
}

export interface SyntheticLandingResult {
  generation: string;
  files: LandedFile[];
  records: Record<SourceFeed, number>;
}

/** Writes are batched into strings of about this size: one write call per line is several times slower. */
const FLUSH_CHARS = 1 << 18;
const PROGRESS_EVERY = 1_000_000;
const DAY = 86_400;

interface OpenFile {
  writer: LandingFileWriter;
  feed: SourceFeed;
  pending: string;
  records: number;
}

/**
 * Generates the data set of `config` into the landing zone: per batch, one file per feed that has records,
 * named `<generation>-seed<S>-b<NNN>-<n>-<feed>.<csv|json>[.gz]`, each published atomically.
 */
export async function syntheticToLanding(options: SyntheticLandingOptions): Promise<SyntheticLandingResult> {
  const { home, config, batches, gzip } = options;
  const generation = options.generation ?? generationStamp(new Date());
  const records = Object.fromEntries(SOURCE_FEEDS.map((feed) => [feed, 0])) as Record<SourceFeed, number>;
  const files: LandedFile[] = [];
  const nextOffset = { user_info: 0, bpm: 0, workout: 0 };
  const base = offsetBase(config);
  const slice = (config.days * DAY) / batches;
  let batch = 0;
  let open = new Map<SourceFeed, OpenFile>();
  let total = 0;

  const fileFor = async (feed: SourceFeed): Promise<OpenFile> => {
    let file = open.get(feed);
    if (!file) {
      const name = `${generation}-seed${config.seed}-b${String(batch + 1).padStart(3, "0")}-${feedFileStem(feed)}.${feedFileExtension(feed)}${gzip ? ".gz" : ""}`;
      const writer = await openLandingFile(home, landingFeedOf(feed), name, { gzip });
      const header = feed === "registered_users" ? REGISTERED_USERS_HEADER : feed === "gym_logins" ? GYM_LOGINS_HEADER : "";
      file = { writer, feed, pending: header, records: 0 };
      open.set(feed, file);
    }
    return file;
  };

  const closeBatch = async () => {
    for (const file of open.values()) {
      await file.writer.write(file.pending);
      files.push({ path: await commit(file.writer), feed: file.feed, batch: batch + 1, records: file.records });
    }
    open = new Map();
  };

  try {
    for (const event of syntheticEvents(config)) {
      const eventBatch = Math.min(batches - 1, Math.max(0, Math.floor((event.emitAt - config.start) / slice)));
      if (eventBatch !== batch) {
        await closeBatch();
        batch = eventBatch;
      }
      const file = open.get(event.feed) ?? (await fileFor(event.feed));
      file.pending += line(event, base, nextOffset);
      file.records++;
      if (file.pending.length >= FLUSH_CHARS) {
        await file.writer.write(file.pending);
        file.pending = "";
      }
      records[event.feed]++;
      if (++total % PROGRESS_EVERY === 0) options.onProgress?.(records);
    }
    await closeBatch();
  } catch (error) {
    await Promise.all([...open.values()].map((file) => file.writer.abort()));
    throw error;
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { generation, files, records };
}

function line(event: SyntheticEvent, base: number, nextOffset: Record<"user_info" | "bpm" | "workout", number>): string {
  switch (event.feed) {
    case "registered_users":
      return registrationCsvLine(event);
    case "gym_logins":
      return gymLoginCsvLine(event);
    case "bpm":
      return bpmEnvelopeLine(event, 0, base + nextOffset.bpm++);
    default: {
      const message = kafkaMessage(event);
      return envelopeLine(message, 0, base + nextOffset[message.topic]++, event.emitAt);
    }
  }
}

async function commit(writer: LandingFileWriter): Promise<string> {
  try {
    return await writer.commit();
  } catch (error) {
    if (error instanceof LandingFileExistsError) throw new UserError(`${error.finalPath} already exists: another producer used the same generation stamp; run again`);
    throw error;
  }
}

/** `20260122T101500123Z`: sorts by time, safe in file names. */
export function generationStamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, "");
}
