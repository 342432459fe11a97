import path from "node:path";
import { BRONZE_DATA_COLUMNS, type BronzeColumn } from "../../lake/bronzeTables.js";

import { LANDING_FEEDS, type LandingFeed } from "../../lib/feeds.js";

export { LANDING_FEEDS, type LandingFeed };
export type CsvFeed = Exclude<LandingFeed, "kafka_multiplex">;

export type LandingFormat = "csv" | "jsonl";

/** What each landing folder accepts. */
export const FEED_FORMAT: Readonly<Record<LandingFeed, LandingFormat>> = {
  registered_users: "csv",
  gym_logins: "csv",
  kafka_multiplex: "jsonl",
};

/** CSV columns that may be empty (an empty field loads as NULL); every other field is required. */
const OPTIONAL_CSV_COLUMNS: Readonly<Record<CsvFeed, readonly string[]>> = {
  registered_users: [],
  // A visit still in progress has no logout yet.
  gym_logins: ["logout"],
};

export interface CsvField extends BronzeColumn {
  required: boolean;
}

/** The CSV layout of a feed: header line (brief section 6) and fields, in bronze column order. */
export function csvLayout(feed: CsvFeed): { header: string; fields: CsvField[] } {
  const fields = BRONZE_DATA_COLUMNS[feed].map((c) => ({ ...c, required: !OPTIONAL_CSV_COLUMNS[feed].includes(c.name) }));
  return { header: fields.map((f) => f.name).join(","), fields };
}

/** Format and compression told by a file name (`x.csv`, `x.json`, `x.csv.gz`, `x.json.gz`), or undefined. */
export function landingFileFormat(fileName: string): { format: LandingFormat; gzip: boolean } | undefined {
  const gzip = fileName.endsWith(".gz");
  const ext = path.extname(gzip ? fileName.slice(0, -3) : fileName).toLowerCase();
  if (ext === ".csv") return { format: "csv", gzip };
  if (ext === ".json") return { format: "jsonl", gzip };
  return undefined;
}
