import { lstat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { homePaths, makePrivateDir } from "../../lib/home.js";
import { acquireFileLock } from "../../lib/fileLock.js";
import type { LakeWriter } from "../../lake/lakeWriter.js";
import type { BronzeSinkSpec } from "../sink/bronzeTarget.js";
import { classifyLandingFile, type ClassifyContext, type NewFile } from "./classifyLanding.js";
import { hashFile, sameStamp } from "./fileIdentity.js";
import { readGroupRecords } from "./landingGroups.js";
import { readManifest, type ManifestEntry } from "./landingManifest.js";
import { LandingTally, type LandingEvent, type LandingSummary } from "./landingOutcome.js";
import { committedLandingBatches, LandingRecorder, manifestEntry } from "./landingRecorder.js";
import { openLandingStore, type LandingStore } from "./landingStore.js";
import { landingLoadUnits } from "./landingUnits.js";
import { fileProblem, scanLandingZone, type LandingCandidate } from "./landingZone.js";
import { loadLandingUnit, type UnitContext } from "./loadLandingUnit.js";

export type { LandingEvent, LandingSummary } from "./landingOutcome.js";

export interface LandingOptions {
  onEvent?: (event: LandingEvent) => void;
  /** Seconds between "still loading" events for a long file. */
  heartbeatSeconds?: number;
  /** Files loaded at once (default: the number of CPUs, at most 4); each file is read on one thread. */
  concurrency?: number;
  /**
   * A file loads only once it has not changed for this long (default 1,000 ms): one written in place is not read
   * half-written. A file younger than this is watched for the rest of the time and loads if it stays the same.
   */
  settleMs?: number;
  /** Where bronze goes: the lake (the default) or BigQuery (landingStore.ts). */
  sink?: BronzeSinkSpec;
}

export const DEFAULT_SETTLE_MS = 1000;

/**
 * `pulse ingest --source landing --once`: loads every landing file not loaded before into bronze (the lake, or
 * BigQuery with `sink`: landingStore.ts, where "the lake" below reads "the store"), in five steps:
 * scan (landingZone.ts), classify (classifyLanding.ts), group (landingUnits.ts), load (loadLandingUnit.ts) and
 * record (landingRecorder.ts).
 *
 * Exactly once per file version, by three rules:
 * 1. Every batch of a file carries its key (a hash of path, size and mtime; a group batch a group tag whose record,
 *    made durable before the commit, lists the members' keys), so a committed batch says which file it holds.
 * 2. A file's manifest entry is appended only after all of its batches are committed (data batch last).
 * 3. Classify looks at the manifest first, then at the lake's committed batches: a file with an entry is done; one
 *    without an entry but with its data batch committed was loaded by a load that died before rule 2's append, and
 *    is recorded from the lake, not loaded again. A crash leaves at most an orphan dead-letter batch (committed
 *    before the data batch), which the next load commits over under the same batch id.
 * One load runs per PULSE_HOME (landing.lock), and a file still changing is not loaded (settle time; a batch whose
 * file changed while it was read is dropped before its commit), so the version recorded is the version loaded.
 */
export async function loadLandingOnce(home: string, options: LandingOptions = {}): Promise<LandingSummary> {
  const tally = new LandingTally(options.onEvent ?? (() => {}), performance.now());
  await makePrivateDir(home);
  // Two loaders would both see a file as new and load it twice: one landing load per PULSE_HOME, whatever its sink.
  const lock = await acquireFileLock(path.join(homePaths(home).ingestState, "landing.lock"), { command: "landing load", what: "the landing zone (a landing load is running)", timeoutSeconds: 0 });
  let store: LandingStore | undefined;
  let writer: LakeWriter | undefined;
  try {
    store = await openLandingStore(home, options.sink);
    const { paths } = store;
    writer = await store.openWriter();
    const { entries: manifest } = await readManifest(paths);
    const groupRecords = await readGroupRecords(paths);
    const { byTable: committed, groupTags } = await committedLandingBatches((table) => store!.committedBatchIds(table), groupRecords);
    const recorder = new LandingRecorder(paths, manifest);
    const zone = await scanLandingZone(paths);
    for (const { file, reason } of zone.skipped) tally.skippedFile(file, reason);
    const context: ClassifyContext = { manifest, committed, nowMs: Date.now(), settleMs: options.settleMs ?? DEFAULT_SETTLE_MS };
    const toLoad = await classifyAll(zone.candidates, context, { writer, store, recorder, tally });
    const units = landingLoadUnits(toLoad, committed.get("dead_letters"), store.groupsFiles);
    const concurrency = Math.max(1, Math.min(options.concurrency ?? Math.min(os.availableParallelism(), 4), units.length));
    const writers = [writer, ...(await Promise.all(Array.from({ length: concurrency - 1 }, () => writer!.fork())))];
    let next = 0;
    // Once a lane fails the load fails: the others take no new unit (a BigQuery outage would fail each in turn).
    let failure: { error: unknown } | undefined;
    // Every lane settles before any writer closes: a DuckDB connection closed while a query of its lane ran on the
    // thread pool deadlocked that thread (the query released the last reference to its context and destroying it
    // waited for the lock the query held), and Node's exit joins the pool, so a failed load hung past the outage
    // test's 130 s bound (gdb: 1 of 1 hung runs). Settling costs at most the in-flight file of each other lane.
    try {
      await Promise.all(
        writers.map(async (laneWriter) => {
          const unitContext: UnitContext = {
            writer: laneWriter,
            paths,
            recorder,
            committedDeadLetters: committed.get("dead_letters"),
            heartbeatSeconds: options.heartbeatSeconds ?? 5,
            emit: tally.emit,
          };
          for (let index = next++; !failure && index < units.length; index = next++) {
            const outcomes = await loadLandingUnit(unitContext, units[index]!).catch(async (error: unknown) => {
              if (!failure) {
                failure = { error };
                // What the other lanes send next fails at once: on the emulator, batches publish one at a time, and
                // a queued one then retried an unreachable BigQuery for its own minute (130 s in all, gdb and logs).
                await store!.close();
              }
              return [];
            });
            for (const outcome of outcomes) {
              const { file } = outcome;
              if (outcome.kind === "loaded") tally.loaded(file.relative, file.feed, outcome.rows, outcome.deadLetters, outcome.seconds);
              else if (outcome.kind === "quarantined") tally.quarantined(file.relative, outcome.reason, outcome.to);
              else tally.skippedFile(file.relative, outcome.reason);
            }
          }
        }),
      );
    } finally {
      for (const fork of writers.slice(1)) await fork.close();
    }
    if (failure) throw failure.error;
    await recorder.retireGroupRecords(groupRecords, groupTags);
  } finally {
    await writer?.close();
    await store?.close();
    lock.release();
  }
  return tally.finish();
}

interface ClassifySteps {
  writer: LakeWriter;
  store: LandingStore;
  recorder: LandingRecorder;
  tally: LandingTally;
}

/**
 * Classifies every candidate and does what each answer asks (compare bytes, recover from the lake, wait out the
 * settle time); returns the files to load.
 */
async function classifyAll(candidates: readonly LandingCandidate[], context: ClassifyContext, steps: ClassifySteps): Promise<NewFile[]> {
  const { tally } = steps;
  const classified = candidates.map((candidate) => ({ candidate, decision: classifyLandingFile(candidate, context) }));
  const pending = classified.filter(({ decision }) => ["new", "settling", "recover"].includes(decision.kind));
  tally.start(candidates.length, pending.length);
  const toLoad: NewFile[] = [];
  const settling: { candidate: LandingCandidate; waitMs: number }[] = [];
  for (const { candidate, decision } of classified) {
    switch (decision.kind) {
      case "ignored":
        tally.ignored(candidate.relative);
        break;
      case "loaded":
        tally.alreadyLoaded();
        break;
      case "changeReported":
        tally.changedBefore();
        break;
      case "compare":
        await unlessGone(candidate.relative, tally, () => compare(candidate, decision.previous, steps));
        break;
      case "recover":
        await unlessGone(candidate.relative, tally, () => recover(decision, steps));
        break;
      case "settling":
        settling.push({ candidate, waitMs: decision.waitMs });
        break;
      case "new":
        toLoad.push(decision.file);
        break;
    }
  }
  if (settling.length === 0) return toLoad;
  // Young files are watched once for the rest of their settle time: unchanged by then, they load now.
  await sleep(Math.max(...settling.map((s) => s.waitMs)));
  const settled = new Set<string>();
  for (const { candidate } of settling) {
    const now = await lstat(candidate.absolute).catch((error: unknown) => error as Error);
    if (now instanceof Error) tally.skippedFile(candidate.relative, fileProblem(now) ?? now.message);
    else if (!now.isFile() || !sameStamp(now, candidate)) {
      tally.skippedFile(candidate.relative, `still being written (changed within the last ${context.settleMs} ms); it loads once it stops changing`);
    } else settled.add(candidate.relative);
  }
  const again = { ...context, nowMs: Date.now(), settled };
  for (const { candidate } of settling) {
    if (!settled.has(candidate.relative)) continue;
    // Settling is decided after the manifest and the lake were looked at, so a settled file is new.
    const decision = classifyLandingFile(candidate, again);
    if (decision.kind === "new") toLoad.push(decision.file);
  }
  return toLoad;
}

/** Runs one classify action on a file; a file that vanished or cannot be read meanwhile is reported and left. */
async function unlessGone(relative: string, tally: LandingTally, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const problem = fileProblem(error);
    if (problem === undefined) throw error;
    tally.skippedFile(relative, problem);
  }
}

/** A loaded file whose size or mtime changed: the same bytes count as loaded; other bytes are refused, reported once. */
async function compare(candidate: LandingCandidate, previous: ManifestEntry, steps: ClassifySteps): Promise<void> {
  if ((await hashFile(candidate.absolute)) === previous.sha256) {
    steps.tally.alreadyLoaded();
    return;
  }
  steps.tally.changed(candidate.relative, `changed after it was loaded on ${previous.loadedAt} (size ${previous.size} → ${candidate.size} bytes); not reloaded`);
  await steps.recorder.record({ ...previous, changeReported: { size: candidate.size, mtimeMs: candidate.mtimeMs } });
}

/** A file whose batches a crashed load committed: its rows are counted in the lake and the manifest entry written. */
async function recover(decision: Extract<ReturnType<typeof classifyLandingFile>, { kind: "recover" }>, steps: ClassifySteps): Promise<void> {
  const { file, stamp, dataBatch, deadBatch } = decision;
  const source = `landing:${file.relative}`;
  const rows = await steps.store.countCommittedRows(steps.writer, file.feed, dataBatch, source);
  const deadLetters = deadBatch === undefined ? 0 : await steps.store.countCommittedRows(steps.writer, "dead_letters", deadBatch, source);
  await steps.recorder.record(manifestEntry(stamp, await hashFile(file.absolute), [deadBatch, dataBatch], rows, deadLetters));
  steps.tally.recovered(file.relative, rows, steps.store.name);
}
