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
  const lineage = columnLineage(entries);
  if (flags.format === "json") {
    process.stdout.write(`${JSON.stringify(lineage, null, 2)}\n`);
    return 0;
  }
  for (const event of openLineageEvents(lineage, "pulse")) process.stdout.write(`${JSON.stringify(event)}\n`);
  const unparsed = Object.values(lineage).filter((t) => Object.keys(t.columns).length === 0);
  if (unparsed.length > 0) throw new UserError(`lineage: no column lineage for ${unparsed.map((t) => `${t.table} (${t.problems.join("; ")})`).join(", ")}`, 1);
  return 0;
}
