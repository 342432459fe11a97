import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: where package.json and the bundled Dataform project live. */
export const PACKAGE_ROOT = packageRoot();

function packageRoot(): string {
  // This file runs from lib/ under vitest and from dist/lib/ once built.
  const parent = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  return path.basename(parent) === "dist" ? path.dirname(parent) : parent;
}

/**
 * PULSE_HOME holds every piece of local state. Precedence: `--home`, then env `PULSE_HOME`,
 * then `.pulse/` in the project root, so deleting that one folder resets everything.
 */
export function resolveHome(flag: string | undefined, projectDir: string): string {
  // An empty PULSE_HOME counts as unset rather than meaning the current directory.
  const chosen = flag ?? (process.env.PULSE_HOME || undefined) ?? path.join(projectDir, ".pulse");
  return path.resolve(chosen);
}

/** Fixed locations inside PULSE_HOME; every module asks here instead of joining paths itself. */
export function homePaths(home: string) {
  return {
    home,
    warehouse: path.join(home, "warehouse.duckdb"),
    runLock: path.join(home, "run.lock"),
    /** The actions of the run in progress (or the last one), for watchers such as `pulse serve`. */
    runProgress: path.join(home, "run-progress.json"),
    lake: path.join(home, "lake"),
    bronze: path.join(home, "lake", "bronze"),
    lakeTmp: path.join(home, "lake", "_tmp"),
    ingestState: path.join(home, "lake", "_state"),
    /** Kafka / Pub/Sub ingest processes' last known positions, for `pulse ingest status`. */
    streamState: path.join(home, "lake", "_state", "streams"),
    landing: path.join(home, "landing"),
    /** Where producers write landing files before renaming them into a feed folder (same file system, never globbed). */
    landingTmp: path.join(home, "landing", ".tmp"),
    quarantine: path.join(home, "quarantine"),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;
