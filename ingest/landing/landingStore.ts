import path from "node:path";
import type { BronzeTableName } from "../../lake/bronzeTables.js";
import { committedFiles } from "../../lake/lakeReader.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import { homePaths, type HomePaths } from "../../lib/home.js";
import type { BronzeSinkSpec } from "../sink/bronzeTarget.js";
import { countCommittedRows } from "./landingRecorder.js";

/**
 * Where a landing load commits bronze: the lake (the default) or BigQuery. Everything else of the load (scan,
 * classify, checks, dead letters, quarantine, manifest) is the same for both.
 */
export interface LandingStore {
  /** Where rows go, for the "recovered" line ("the lake", "BigQuery p.bronze"). */
  readonly name: string;
  /**
   * The home's paths with `ingestState` at this store's own landing state (manifest, group records): a file loaded
   * into the lake is not loaded into BigQuery yet, and the other way round.
   */
  readonly paths: HomePaths;
  /** Files of a group (small ones, or up to eight of 1–64 MiB: landingUnits.ts) share one batch; off where a batch cannot be found again by a local group record alone. */
  readonly groupsFiles: boolean;
  /** A writer whose batches commit into this store (its forks too). */
  openWriter(): Promise<LakeWriter>;
  /** The ids of the batches committed to `table` (landingRecorder.ts picks the landing ones by their tag). */
  committedBatchIds(table: BronzeTableName): Promise<string[]>;
  /** Rows of one landing file (`_source`) in a committed batch. */
  countCommittedRows(writer: LakeWriter, table: BronzeTableName, batch: string, source: string): Promise<number>;
  /** Also called when a lane fails, while others still run: what they send afterwards must fail at once. Idempotent. */
  close(): Promise<void>;
}

/** The lake: batches are Parquet files under lake/bronze, the landing state is the home's ingest state. */
export function lakeLandingStore(home: string): LandingStore {
  const paths = homePaths(home);
  return {
    name: "the lake",
    paths,
    groupsFiles: true,
    // One DuckDB thread per query, files in parallel instead: a file's lines are numbered in order (WITH ORDINALITY),
    // which keeps its pipeline on one thread, and a second DuckDB thread then only burns CPU (measured: twice the CPU
    // for the same wall time). Concurrent queries on separate connections still run in parallel.
    openWriter: () => LakeWriter.open(home, { threads: 1 }),
    committedBatchIds: async (table) => (await committedFiles(paths, table)).map((f) => f.batchId),
    countCommittedRows: (writer, table, batch, source) => countCommittedRows(writer, paths, table, batch, source),
    close: async () => undefined,
  };
}

/** The store for `--sink`; the BigQuery one is imported only when asked for (its gRPC client is slow to load). */
export async function openLandingStore(home: string, sink: BronzeSinkSpec | undefined): Promise<LandingStore> {
  if (sink?.kind !== "bigquery") return lakeLandingStore(home);
  const { BigQueryLandingStore } = await import("./bigqueryLandingStore.js");
  return BigQueryLandingStore.open(home, sink);
}

/** A store's landing state folder under the home's ingest state. */
export function landingStatePaths(home: string, folder: string): HomePaths {
  const paths = homePaths(home);
  return { ...paths, ingestState: path.join(paths.ingestState, folder) };
}
