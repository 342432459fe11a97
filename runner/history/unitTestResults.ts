import fs from "node:fs";
import { z } from "zod";
import { homePaths, makePrivateDir } from "../../lib/home.js";
import { parseJsonOrUndefined } from "../../lib/parseJsonOrUndefined.js";

const UnitTestRecord = z.object({
  at: z.string(),
  graphHash: z.string(),
  tests: z.number().int(),
  failed: z.array(z.string()),
});
export type UnitTestRecord = z.infer<typeof UnitTestRecord>;

/**
 * Appends one complete `pulse test` (every unit test of the graph, not an --actions subset) to the environment's
 * record. One short line per append: O_APPEND writes of it do not interleave between processes.
 */
export async function recordUnitTests(home: string, record: UnitTestRecord): Promise<void> {
  await makePrivateDir(home);
  fs.appendFileSync(homePaths(home).unitTests, `${JSON.stringify(record)}\n`);
}

/** The latest complete `pulse test` of the graph `graphHash` in this environment; unreadable lines (a cut-off append) are skipped. */
export function latestUnitTests(home: string, graphHash: string): UnitTestRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(homePaths(home).unitTests, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let latest: UnitTestRecord | undefined;
  for (const line of text.split("\n")) {
    const record = UnitTestRecord.safeParse(parseJsonOrUndefined(line));
    if (record.success && record.data.graphHash === graphHash) latest = record.data;
  }
  return latest;
}
