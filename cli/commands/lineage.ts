import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { compileFor } from "../../runner/runProject.js";
import { catalog } from "../../serve/catalog.js";
import { columnLineage } from "../../serve/lineage/columnLineage.js";
import { openLineageEvents } from "../../serve/lineage/openLineage.js";

const USAGE = `usage: pulse lineage [--format openlineage|json]

Column lineage of every table and view, computed from the compiled SQL. --format openlineage prints one
OpenLineage JobEvent (with the columnLineage facet) per line; json prints pulse's own map of inputs per column.`;

const Flags = z.object({ format: z.enum(["openlineage", "json"]).default("json"), help: z.boolean().optional() });

export async function main(argv: string[]): Promise<number> {
  const { flags, projectDir } = parseCommandArgs("lineage", argv, { format: { type: "string" } }, Flags);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const entries = catalog(compileFor("duckdb", projectDir, {}));
  if (flags.format === "json") {
    process.stdout.write(`${JSON.stringify(columnLineage(entries), null, 2)}\n`);
    return 0;
  }
  const events = openLineageEvents(entries, "pulse");
  for (const e of events) if (e.event) process.stdout.write(`${JSON.stringify(e.event)}\n`);
  const failed = events.filter((e) => e.error);
  if (failed.length > 0) throw new UserError(`lineage: could not parse ${failed.map((e) => `${e.table} (${e.error})`).join(", ")}`, 1);
  return 0;
}
