import { lockWanted, type FileLock } from "../lib/fileLock.js";
import type { CompiledGraph } from "./compile/graph.js";
import type { LocalWarehouse } from "./localWarehouse.js";
import type { ReadServer } from "./readServer.js";

/** The local warehouse opened for a run, with what holding it involves. */
export interface HeldWarehouse {
  /** The graph it was opened for: its targets drive the adapter's name translation. */
  graph: CompiledGraph;
  adapter: LocalWarehouse;
  /** The run lock (none for a dry run, which opens the file read-only). */
  lock?: FileLock;
  /** Answers other processes' queries while the warehouse is held (readServer.ts). */
  readers?: ReadServer;
}

export async function releaseWarehouse(held: HeldWarehouse): Promise<void> {
  try {
    await held.readers?.close();
    await held.adapter.close();
  } finally {
    held.lock?.release();
  }
}

/**
 * The warehouse kept open from one run to the next by a process that runs again and again (`pulse run --watch`,
 * `pulse stream`). A `pulse run` spends ~0.6 s around its SQL (loading DuckDB, opening the file, the checkpoint at
 * close): on the pipeline bench, after +0.15% of new data, a `pulse run` took 1.31 s and a watcher's run 0.58 s.
 * Kept, the warehouse is checkpointed by DuckDB itself when its write-ahead log grows past `checkpoint_threshold`.
 *
 * Between runs the kept warehouse still holds the run lock. Queries are answered by its read server, from the
 * latest run's result. A process that waits for the lock (another run, `query --write` or `--role`, `pulse serve`
 * with an outdated page) asks for it (lib/fileLock.ts `wantLock`), and the holder gives the warehouse up before its
 * next run (`giveUpIfWanted`), then opens it again once the other process is done.
 */
export class KeptWarehouse {
  private held: HeldWarehouse | undefined;

  constructor(private readonly runLock: string) {}

  /**
   * The warehouse for a run of `graph`: the kept one made ready by `refresh` if it was opened for this graph (a
   * changed project compiles to another graph, whose names the kept adapter does not translate), else `open`'s.
   */
  async take(graph: CompiledGraph, open: () => Promise<HeldWarehouse>, refresh: (held: HeldWarehouse) => Promise<void>): Promise<HeldWarehouse> {
    if (this.held && this.held.graph !== graph) await this.release();
    if (this.held) {
      try {
        await refresh(this.held);
        return this.held;
      } catch (error) {
        await this.release();
        throw error;
      }
    }
    this.held = await open();
    return this.held;
  }

  /**
   * After a run: readers move on to its result. A run that threw (rather than reporting failed actions) may have
   * left the session in any state, so the warehouse is closed and the next run opens it afresh.
   */
  async settle(completed: boolean): Promise<void> {
    if (!completed) return this.release();
    await this.held?.readers?.refresh();
  }

  /** Gives the warehouse up if another process asks for the run lock; true if it did. */
  async giveUpIfWanted(): Promise<boolean> {
    if (!this.held || !lockWanted(this.runLock)) return false;
    await this.release();
    return true;
  }

  async release(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held) await releaseWarehouse(held);
  }
}
