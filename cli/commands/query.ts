import { Option } from "@commander-js/extra-typings";
import { UserError } from "../../lib/errors.js";
import { csvText, textTable } from "../../lib/textTable.js";
import { DEFAULT_DATABASE, withLockedWarehouse } from "../../runner/localWarehouse.js";
import { readWorkflowSettings } from "../../runner/projectSettings.js";
import { homeOf, homeOption, lockTimeoutOption, projectDirOf, projectOption } from "../commonOptions.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Runs SQL on the local warehouse ($PULSE_HOME/warehouse.duckdb). dataset.table resolves in the project's default database; bronze.* reads the lake. --format json prints one JSON array of row objects.",
    )
    .argument("<sql...>", "the SQL (several words are joined with spaces)")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json", "csv"] as const).default("table" as const))
    .addOption(lockTimeoutOption())
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (words, flags, self) => {
      const sql = words.join(" ").trim();
      if (!sql) throw new UserError('query: no SQL given (pulse query "select ...")');
      const projectDir = projectDirOf(flags);
      const home = homeOf(self, projectDir, { mustExist: true });
      const rows = await withLockedWarehouse(
        {
          home,
          database: readWorkflowSettings(projectDir).defaultProject ?? DEFAULT_DATABASE,
          command: "pulse query",
          lockTimeoutSeconds: flags.lockTimeout,
          onLockWait: (holder) => process.stderr.write(`waiting for pid ${holder.pid} ('${holder.command}') to release the warehouse...\n`),
        },
        (warehouse) =>
          warehouse.query(sql).catch((error: unknown) => {
            throw new UserError(`query failed: ${(error as Error).message}`, 1);
          }),
      );
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
      const cells = () => rows.map((r) => columns.map((c) => r[c]));
      if (flags.format === "json") process.stdout.write(`${JSON.stringify(rows)}\n`);
      else if (flags.format === "csv") process.stdout.write(`${csvText(columns, cells())}\n`);
      else process.stdout.write(`${rows.length > 0 ? textTable(columns, cells()) : "(no rows)"}\n(${rows.length} row${rows.length === 1 ? "" : "s"})\n`);
      exit(0);
    });
