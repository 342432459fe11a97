import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { homePaths } from "../../lib/home.js";
import { csvText, textTable } from "../../lib/textTable.js";
import { DEFAULT_DATABASE, openLocalWarehouse } from "../../runner/localWarehouse.js";
import { acquireFileLock } from "../../lib/fileLock.js";
import { readWorkflowSettings } from "../../runner/projectSettings.js";

const USAGE = `usage: pulse query [--format table|json|csv] "<sql>"

Runs SQL on the local warehouse ($PULSE_HOME/warehouse.duckdb). dataset.table resolves in the project's
default database; bronze.* reads the lake. --format json prints one JSON array of row objects.`;

const Flags = z.object({
  format: z.enum(["table", "json", "csv"]).default("table"),
  "lock-timeout": z.coerce.number().min(0).default(600),
  help: z.boolean().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const { flags, positionals, projectDir, home } = parseCommandArgs(
    "query",
    argv,
    { format: { type: "string" }, "lock-timeout": { type: "string" } },
    Flags,
    { allowPositionals: true },
  );
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const sql = positionals.join(" ").trim();
  if (!sql) throw new UserError(`query: no SQL given\n${USAGE}`);
  const database = readWorkflowSettings(projectDir).defaultProject ?? DEFAULT_DATABASE;
  const lock = await acquireFileLock(homePaths(home).runLock, {
    command: "pulse query",
    what: "the warehouse (--lock-timeout)",
    timeoutSeconds: flags["lock-timeout"],
    onWait: (holder) => process.stderr.write(`waiting for pid ${holder.pid} ('${holder.command}') to release the warehouse...\n`),
  });
  try {
    const warehouse = await openLocalWarehouse({ home, database, connections: 1 });
    try {
      let rows: Record<string, unknown>[];
      try {
        rows = await warehouse.query(sql);
      } catch (error) {
        throw new UserError(`query failed: ${(error as Error).message}`, 1);
      }
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
      if (flags.format === "json") process.stdout.write(`${JSON.stringify(rows)}\n`);
      else if (flags.format === "csv") process.stdout.write(`${csvText(columns, rows.map((r) => columns.map((c) => r[c])))}\n`);
      else process.stdout.write(`${rows.length > 0 ? textTable(columns, rows.map((r) => columns.map((c) => r[c]))) : "(no rows)"}\n(${rows.length} row${rows.length === 1 ? "" : "s"})\n`);
      return 0;
    } finally {
      await warehouse.close();
    }
  } finally {
    lock.release();
  }
}
