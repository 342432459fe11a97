import fs from "node:fs";
import path from "node:path";
import { UserError } from "./errors.js";
import { sleep } from "./sleep.js";

export interface FileLock {
  release(): void;
}

interface Holder {
  pid: number;
  startedAt: string;
  command: string;
}

/** Whether a process exists (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock between processes: a file created with O_EXCL that names its holder. A lock left
 * by a process that no longer exists (killed with SIGKILL) is taken over. `what` names the resource in
 * the error a waiter gets after `timeoutSeconds`.
 */
export async function acquireFileLock(
  file: string,
  options: {
    command: string;
    what: string;
    timeoutSeconds: number;
    pollMs?: number;
    onWait?: (holder: Holder) => void;
    /** While waiting, ask the holder for the lock (wantLock): for a lock a holder may keep between units of work. */
    ask?: boolean;
  },
): Promise<FileLock> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let announced = false;
  let want: LockWant | undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    for (;;) {
      try {
        const fd = fs.openSync(file, "wx");
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), command: options.command } satisfies Holder));
        fs.closeSync(fd);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          process.removeListener("exit", release);
          const holder = readHolder(file);
          if (holder?.pid === process.pid) fs.rmSync(file, { force: true });
        };
        process.once("exit", release);
        return { release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readHolder(file);
      if (!holder) {
        // Either being written right now by its new owner, or left half-written by a crash long ago.
        if (lockAgeMs(file) > 2000) fs.rmSync(file, { force: true });
        else await sleep(50);
        continue;
      }
      if (!isProcessAlive(holder.pid)) {
        if (!breakStaleLock(file, holder)) await sleep(options.pollMs ?? 200);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new UserError(
          `another pulse process holds ${options.what}: pid ${holder.pid} ('${holder.command}', since ${holder.startedAt}); ` + `gave up after ${options.timeoutSeconds}s. Lock file: ${file}`,
          75,
        );
      }
      if (!announced) {
        options.onWait?.(holder);
        announced = true;
        if (options.ask) want = wantLock(file);
      }
      want?.renew();
      await sleep(options.pollMs ?? 200);
    }
  } finally {
    want?.done();
  }
}

/**
 * A waiter's request for a held lock: the file `<lock>.want-<pid>`, renewed while the process waits. A holder that
 * keeps a lock between units of work (`pulse run --watch` keeps the warehouse open between runs) gives it up when
 * `lockWanted`. A request not renewed for WANT_FRESH_MS has lapsed: its process stopped asking without saying so.
 */
export interface LockWant {
  renew(): void;
  done(): void;
}

const WANT_FRESH_MS = 30_000;
/** Renewing rewrites the file's time; more often than this is pointless against WANT_FRESH_MS. */
const WANT_RENEW_MS = 5_000;
/** Wants of this process per lock file: two waits in one process share its one request file. */
const wants = new Map<string, number>();

export function wantLock(file: string): LockWant {
  const marker = `${file}.want-${process.pid}`;
  wants.set(marker, (wants.get(marker) ?? 0) + 1);
  let renewedAt = 0;
  let finished = false;
  const renew = () => {
    if (finished || Date.now() - renewedAt < WANT_RENEW_MS) return;
    renewedAt = Date.now();
    try {
      fs.writeFileSync(marker, "", { mode: 0o600 });
    } catch {
      // A request that cannot be written only means the holder gives the lock up later, at its own pace.
    }
  };
  const done = () => {
    if (finished) return;
    finished = true;
    process.removeListener("exit", done);
    const left = (wants.get(marker) ?? 1) - 1;
    if (left > 0) return void wants.set(marker, left);
    wants.delete(marker);
    fs.rmSync(marker, { force: true });
  };
  process.once("exit", done);
  renew();
  return { renew, done };
}

/** Whether another live process asks for `file` (wantLock). Requests of dead processes and lapsed ones are removed. */
export function lockWanted(file: string): boolean {
  const folder = path.dirname(file);
  const prefix = `${path.basename(file)}.want-`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return false;
  }
  let wanted = false;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid === process.pid) continue;
    const marker = path.join(folder, name);
    if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || lockAgeMs(marker) > WANT_FRESH_MS) fs.rmSync(marker, { force: true });
    else wanted = true;
  }
  return wanted;
}

/**
 * Removes a lock whose holder died, unless another waiter has already done so. Two waiters that both saw the dead
 * holder must not both remove "the" lock file: the second would remove the lock the first had just taken, and both
 * would hold it (three ingest processes on one home, one SIGKILLed inside a lake commit). So the take-over is
 * serialized by a second O_EXCL file, under which the holder is read again. False if another waiter is taking over.
 */
function breakStaleLock(file: string, dead: Holder): boolean {
  const breaker = `${file}.break`;
  try {
    fs.closeSync(fs.openSync(breaker, "wx"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Held for microseconds; one older than that was left by a waiter that died taking over.
    if (lockAgeMs(breaker) > 2000) fs.rmSync(breaker, { force: true });
    return false;
  }
  try {
    const holder = readHolder(file);
    if (holder?.pid === dead.pid && holder.startedAt === dead.startedAt) fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function lockAgeMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
