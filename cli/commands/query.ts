import { Option } from "@commander-js/extra-typings";
import { roleContext } from "../../access/roleContext.js";
import { UserError } from "../../lib/errors.js";
import { csvText, textTable } from "../../lib/textTable.js";
import type { StatementRows } from "../../runner/adapters/duckdb/userStatements.js";
import { DEFAULT_DATABASE } from "../../runner/localWarehouse.js";
import { readWorkflowSettings } from "../../runner/projectSettings.js";
import { queryLocalWarehouse } from "../../runner/queryWarehouse.js";
import { homeOf, homeOption, lockTimeoutOption, projectDirOf, projectOption } from "../commonOptions.js";
import type { DefineCommand } from "../program.js";

type Format = "table" | "json" | "csv";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Runs SQL on the local warehouse ($PULSE_HOME/warehouse.duckdb). dataset.table resolves in the project's default database; bronze.* reads the lake. " +
        "Read-only: SELECT, EXPLAIN, DESCRIBE, SHOW. During a pulse run (or stream, run --watch) the answer comes at once, from the state the previous run left. " +
        "No file outside PULSE_HOME can be read or written. Several statements print one result each (json: one array per line). " +
        "Every query is recorded in pulse_meta.audit_log. With --role the access policy (access.yaml) is checked before anything runs.",
    )
    .argument("<sql...>", "the SQL (several words are joined with spaces)")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json", "csv"] as const).default("table" as const))
    .option("--write", "let statements write: waits for a running run and holds the warehouse like one", false)
    .option("--role <role>", "query as this role of access.yaml: tables it may not read are refused (exit 1), PII is masked or hidden, writes need a role that writes")
    .addOption(new Option("--env <name>", "the environment whose access policy applies (access.yaml)").default("dev"))
    .addOption(lockTimeoutOption())
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (words, flags, self) => {
      const sql = words.join(" ").trim();
      if (!sql) throw new UserError('query: no SQL given (pulse query "select ...")');
      const projectDir = projectDirOf(flags);
      const results = await queryLocalWarehouse({
        // A missing home is refused by queryLocalWarehouse (a read must not create one).
        home: homeOf(self, projectDir),
        database: readWorkflowSettings(projectDir).defaultProject ?? DEFAULT_DATABASE,
        sql,
        write: flags.write,
        lockTimeoutSeconds: flags.lockTimeout,
        environment: flags.env,
        access: flags.role === undefined ? undefined : roleContext(projectDir, flags.role, flags.env),
        onWait: (message) => process.stderr.write(`${message}\n`),
      });
      const several = results.length > 1 && flags.format === "table";
      const blocks = results.map((result, index) => (several ? `-- statement ${index + 1} of ${results.length}\n` : "") + render(result, flags.format));
      process.stdout.write(`${blocks.join(flags.format === "json" ? "\n" : "\n\n")}\n`);
      exit(0);
    });

function render(result: StatementRows, format: Format): string {
  const cells = result.rows.map((r) => result.columns.map((c) => r[c]));
  if (format === "json") return JSON.stringify(result.rows);
  if (format === "csv") return csvText(result.columns, cells);
  const count = `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return `${result.rows.length > 0 ? textTable(result.columns, cells) : "(no rows)"}\n${count}`;
}
