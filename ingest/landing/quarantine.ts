import { copyFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { HomePaths } from "../../lib/home.js";
import { displayText } from "../../lib/displayText.js";
import { pathExists } from "../../lib/files.js";

/**
 * Moves an unreadable landing file to `quarantine/<same relative path>` with `<name>.reason` beside it, so it
 * leaves the landing zone (and is not retried every run) but nothing is deleted. A name already taken in
 * quarantine gets a time suffix. Returns the quarantined path. The reason file is as private as the rest of the
 * home (see usePrivateFiles) and quotes nothing of the file unescaped.
 */
export async function quarantineFile(paths: HomePaths, absolute: string, relative: string, reason: string): Promise<string> {
  let target = path.join(paths.quarantine, relative);
  if (await pathExists(target)) target = `${target}.${new Date().toISOString().replaceAll(":", "")}`;
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.reason`, `${displayText(relative, 300)}: ${displayText(reason, 300)}\n`, { mode: 0o600 });
  try {
    await rename(absolute, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await copyFile(absolute, target);
    await rm(absolute);
  }
  return target;
}
