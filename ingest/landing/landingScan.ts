import { sqlString } from "../../lake/sqlText.js";

/**
 * The landing files one query reads: a single file, or a group of small files of one feed, format and compression.
 * A landing zone is often many small files, and per query DuckDB spends a few milliseconds planning the checks
 * that a file of 50 lines then runs in microseconds; read together, they share that cost.
 */
export interface LandingScan {
  files: readonly ScannedFile[];
  gzip: boolean;
  /**
   * Each file read by a table function call of its own, the calls joined by UNION ALL, rather than all by one call
   * numbered by a window: for a group of a few large files (landingUnits.ts). Each call costs its bind (70 small
   * files: 390 ms against 137 by one call), the window costs per row (6 files of 1–4 MiB: 306–316 ms against
   * 365–374 by one call; each loaded alone, 392–415).
   */
  readsApart?: boolean;
  /**
   * Each file's line count (scanFile), for a reader that yields one row per line: a file's rows are then numbered on
   * from the lines of the files before it, instead of by a window that holds every row of the group (1.5 µs of CPU
   * per row: 70 envelope files, 19,375 rows, 79 ms against 50). Only where the caller checks, before committing,
   * that each file gave as many rows as it has lines (loadLandingGroup's envelope files), which makes the numbers
   * exact.
   */
  lineCounts?: readonly number[];
}

export interface ScannedFile {
  absolute: string;
  /** The rows' `_source`: `landing:<path relative to landing/>`. */
  source: string;
}

/**
 * Rows of a table function over the scan's files, in each file's order, as `columns`, `line` (the row's 1-based
 * position in its file) and `_source`. `read(paths, filenameOption)` is the table function call for a path list.
 * Positions are WITH ORDINALITY, which numbers rows in scan order: callers run the query on one DuckDB thread, so
 * files are read one after another, each front to back. For a group read by one call the ordinal runs on across
 * files, and a file's first row is at its smallest ordinal; read apart, each file has its own ordinals.
 */
export function numberedRowsSql(scan: LandingScan, read: (paths: string, filenameOption: string) => string, columns: readonly string[]): string {
  const [only, ...more] = scan.files;
  if (only === undefined) throw new Error("a landing scan needs at least one file");
  if (more.length === 0) {
    return `SELECT ${columns.join(", ")}, n AS line, ${sqlString(only.source)} AS _source
      FROM ${read(sqlString(only.absolute), "")} WITH ORDINALITY AS numbered(${columns.join(", ")}, n)`;
  }
  if (scan.readsApart) {
    return scan.files
      .map((f) => `(SELECT ${columns.join(", ")}, n AS line, ${sqlString(f.source)} AS _source FROM ${read(sqlString(f.absolute), "")} WITH ORDINALITY AS numbered(${columns.join(", ")}, n))`)
      .join("\n      UNION ALL ");
  }
  const paths = `[${scan.files.map((f) => sqlString(f.absolute)).join(", ")}]`;
  const numbered = `${read(paths, ", filename = true")} WITH ORDINALITY AS numbered(${columns.join(", ")}, filename, n)`;
  const counts = scan.lineCounts;
  if (counts === undefined) {
    const sources = scan.files.map((f) => `(${sqlString(f.absolute)}, ${sqlString(f.source)})`).join(", ");
    return `SELECT ${columns.join(", ")}, n - min(n) OVER (PARTITION BY filename) + 1 AS line, sources._source
      FROM ${numbered}
      INNER JOIN (VALUES ${sources}) AS sources(filename, _source) USING (filename)`;
  }
  let before = 0;
  const sources = scan.files.map((f, i) => {
    const linesBefore = before;
    before += counts[i]!;
    return `(${sqlString(f.absolute)}, ${sqlString(f.source)}, ${linesBefore})`;
  });
  return `SELECT ${columns.join(", ")}, n - sources.lines_before AS line, sources._source
      FROM ${numbered}
      INNER JOIN (VALUES ${sources}) AS sources(filename, _source, lines_before) USING (filename)`;
}
