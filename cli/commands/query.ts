import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { csvText, textTable } from "../../lib/textTable.js";
import { DEFAULT_DATABASE } from "../../runner/localWarehouse.js";
import { queryLocalWarehouse } from "../../runner/queryWarehouse.js";
import type { StatementRows } from "../../runner/adapters/duckdb/userStatements.js";
import { readWorkflowSettings } from "../../runner/projectSettings.js";

const USAGE = `usage: pulse query [--format table|json|csv] [--write] [--lock-timeout SECONDS] "<sql>"

Runs SQL on the local warehouse ($PULSE_HOME/warehouse.duckdb). dataset.table resolves in the project's
default database; bronze.* reads the lake. Read-only: SELECT, EXPLAIN, DESCRIBE, SHOW. During a pulse run
(or stream, run --watch) the answer comes at once, from the state the previous run left. --write lets
statements write: it waits for a running run and holds the warehouse like one. No file outside PULSE_HOME
can be read or written. Several statements print one result each (json: one array per line).`;

const Flags = z.object({
  format: z.enum(["table", "json", "csv"]).default("table"),
  "lock-timeout": z.coerce.number().min(0).default(600),
  write: z.boolean().default(false),
  help: z.boolean().optional(),
});

function render(result: StatementRows, format: "table" | "json" | "csv"): string {
  const cells = result.rows.map((r) => result.columns.map((c) => r[c]));
  if (format === "json") return JSON.stringify(result.rows);
  if (format === "csv") return csvText(result.columns, cells);
  const count = `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return `${result.rows.length > 0 ? textTable(result.columns, cells) : "(no rows)"}\n${count}`;
}

export async function main(argv: string[]): Promise<number> {
  const { flags, positionals, projectDir, home } = parseCommandArgs(
    "query",
    argv,
    { format: { type: "string" }, "lock-timeout": { type: "string" }, write: { type: "boolean" } },
    Flags,
    { allowPositionals: true },
  );
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const sql = positionals.join(" ").trim();
  if (!sql) throw new UserError(`query: no SQL given\n${USAGE}`);
  const results = await queryLocalWarehouse({
    home,
    database: readWorkflowSettings(projectDir).defaultProject ?? DEFAULT_DATABASE,
    sql,
    write: flags.write,
    lockTimeoutSeconds: flags["lock-timeout"],
    onWait: (message) => process.stderr.write(`${message}\n`),
  });
  const several = results.length > 1 && flags.format === "table";
  const blocks = results.map((result, index) => (several ? `-- statement ${index + 1} of ${results.length}\n` : "") + render(result, flags.format));
  process.stdout.write(`${blocks.join(flags.format === "json" ? "\n" : "\n\n")}\n`);
  return 0;
}
