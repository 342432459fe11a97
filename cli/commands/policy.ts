import { checkPolicy, violationLine } from "../../access/policyCheck.js";
import { homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) => {
  command.description("checks of access.yaml and the project's PII tags (pulse policy check)");
  command
    .command("check")
    .description(
      "Fails (exit 1) naming file, column and rule when: a gold column copies a PII column without a policy tag; a table has no owner or access class; " +
        "a role other than data_engineer and ingest_service reads bronze; prod is writable by a person or by one of dev's principals.",
    )
    .addOption(projectOption())
    .addOption(homeOption())
    .action((flags) => {
      const violations = checkPolicy(projectDirOf(flags));
      for (const violation of violations) process.stdout.write(`${violationLine(violation)}\n`);
      process.stdout.write(violations.length === 0 ? "policy check: no violations.\n" : `policy check: ${violations.length} violation(s).\n`);
      exit(violations.length === 0 ? 0 : 1);
    });
};
