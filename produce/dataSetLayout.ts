import { readdir } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../lib/errors.js";
import { isStreamTopic, type LandingFeed, type StreamTopic } from "../lib/feeds.js";

/** The five source feeds, numbered as the reference data set numbers its files. */
export const SOURCE_FEEDS = ["registered_users", "user_info", "bpm", "workout", "gym_logins"] as const;
export type SourceFeed = (typeof SOURCE_FEEDS)[number];

const FEED_ORDER: Record<SourceFeed, number> = { registered_users: 1, user_info: 2, bpm: 3, workout: 4, gym_logins: 5 };

export function landingFeedOf(feed: SourceFeed): LandingFeed {
  return feed === "registered_users" || feed === "gym_logins" ? feed : "kafka_multiplex";
}

export function isKafkaTopic(feed: SourceFeed): feed is StreamTopic {
  return isStreamTopic(feed);
}

/** `1-registered_users`, `3-bpm`, …: the stem every data-set file name starts with. */
export function feedFileStem(feed: SourceFeed): string {
  return `${FEED_ORDER[feed]}-${feed}`;
}

export function feedFileExtension(feed: SourceFeed): "csv" | "json" {
  return landingFeedOf(feed) === "kafka_multiplex" ? "json" : "csv";
}

export interface DataSetFile {
  path: string;
  name: string;
  feed: SourceFeed;
  landingFeed: LandingFeed;
  iteration: number;
  gzip: boolean;
}

const FILE_NAME = /^([1-5])-(registered_users|user_info|bpm|workout|gym_logins)_(\d+)\.(csv|json)(\.gz)?$/;

/**
 * Reads a reference-style file name (`3-bpm_1.json.gz`). Returns undefined for files that are not feed
 * files (README, `6-date-lookup.json`) so a data-set walk can skip them; a name whose number, feed and
 * extension disagree (`3-registered_users_1.csv`) is not a feed file either.
 */
export function parseDataSetFileName(filePath: string): DataSetFile | undefined {
  const name = path.basename(filePath);
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  const [, order, feedName, iteration, extension, gz] = match;
  const feed = feedName as SourceFeed;
  if (Number(order) !== FEED_ORDER[feed] || extension !== feedFileExtension(feed)) return undefined;
  return { path: filePath, name, feed, landingFeed: landingFeedOf(feed), iteration: Number(iteration), gzip: gz !== undefined };
}

/**
 * Every feed file under `dir` (any depth: the reference keeps set 1's heart rate in `reconstructed/` and the
 * rest in `test_data/`), optionally of one iteration, in feed order. Two files for the same feed and
 * iteration (say plain and gzipped) make the set ambiguous, which is the user's to resolve.
 */
export async function findDataSetFiles(dir: string, iteration?: number): Promise<DataSetFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (error) {
    throw new UserError(`--from ${dir}: cannot read the data set (${(error as Error).message})`);
  }
  const files = entries
    .map((entry) => parseDataSetFileName(path.join(dir, entry)))
    .filter((file): file is DataSetFile => file !== undefined && (iteration === undefined || file.iteration === iteration));
  const seen = new Map<string, DataSetFile>();
  for (const file of files) {
    const slot = `${file.feed}_${file.iteration}`;
    const other = seen.get(slot);
    if (other) throw new UserError(`--from ${dir}: two files for ${slot}: ${other.path} and ${file.path}`);
    seen.set(slot, file);
  }
  return files.sort((a, b) => a.iteration - b.iteration || FEED_ORDER[a.feed] - FEED_ORDER[b.feed]);
}
