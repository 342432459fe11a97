import { access } from "node:fs/promises";

/** Whether a path exists (any kind of file). */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
