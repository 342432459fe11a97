import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { PACKAGE_ROOT } from "../../lib/home.js";

/**
 * The user the permission cases run as when the tests run as root (root reads every file, so "unreadable" means
 * nothing to it). `.ci/run` creates it; locally: `useradd --system --no-create-home pulse-test`.
 */
export const UNPRIVILEGED_USER = "pulse-test";

const CLI = path.join(PACKAGE_ROOT, "dist", "cli", "main.js");

function unprivilegedIds(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync("id", [flag, UNPRIVILEGED_USER], { encoding: "utf8" });
  const uid = id("-u");
  if (uid.status !== 0) throw new Error(`the permission cases run as user '${UNPRIVILEGED_USER}' when the tests run as root: create it (.ci/run does)`);
  return { uid: Number(uid.stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

const asRoot = process.getuid?.() === 0;

/**
 * A fresh folder that the user running the CLI (see `pulseCli`) owns: under root, the unprivileged user's;
 * otherwise ours. Removed after the test file.
 */
export function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  if (asRoot) {
    const { uid, gid } = unprivilegedIds();
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** Gives a folder and everything in it to the user the CLI runs as (see ownedTempDir). */
export function handOver(folder: string): void {
  if (!asRoot) return;
  unprivilegedIds();
  const result = spawnSync("chown", ["-R", `${UNPRIVILEGED_USER}:`, folder], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`chown ${folder}: ${result.stderr}`);
}

/** The built CLI, run as a user without root's rights (runuser when the tests run as root), with a clean umask of 022. */
export function pulseCli(home: string, ...args: string[]): SpawnSyncReturns<string> {
  const command = [process.execPath, CLI, ...args, "--home", home];
  const script = `umask 022 && exec "$@"`;
  const argv = asRoot ? ["runuser", "-u", UNPRIVILEGED_USER, "--", "sh", "-c", script, "sh", ...command] : ["sh", "-c", script, "sh", ...command];
  return spawnSync(argv[0]!, argv.slice(1), { cwd: PACKAGE_ROOT, encoding: "utf8", env: { ...process.env, PULSE_HOME: "" } });
}
