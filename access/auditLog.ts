import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { homePaths } from "../lib/home.js";
import { sqlString } from "../lake/sqlText.js";

/** One line of the audit log: a `pulse query` or a run, allowed or refused. */
export interface AuditRecord {
  kind: "query" | "run";
  /** The role the query ran as; none for a query without --role (the file's owner) and for runs. */
  role: string | null;
  environment: string;
  /** sha256 of the SQL (a query) or of the redacted command line (a run): the text itself may hold personal data. */
  statementHash: string;
  tablesRead: string[];
  allowed: boolean;
  reason?: string;
}

export function statementHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Appends to `$PULSE_HOME/audit_log.jsonl`, not to the warehouse: a reader opens the warehouse read-only, and while
 * a run holds it nobody else may write it. One `write` with O_APPEND per record, so records of concurrent processes
 * never interleave. The log is a file its owner can edit: an honest record of what pulse did, not tamper-proof.
 */
export function appendAudit(home: string, record: AuditRecord, now: Date = new Date()): void {
  const line = JSON.stringify({
    logged_at: now.toISOString(),
    kind: record.kind,
    role: record.role,
    environment: record.environment,
    user: os.userInfo().username,
    statement_hash: record.statementHash,
    tables_read: record.tablesRead,
    allowed: record.allowed,
    reason: record.reason ?? null,
  });
  fs.appendFileSync(homePaths(home).auditLog, `${line}\n`, { mode: 0o600 });
}

const COLUMNS = {
  logged_at: "TIMESTAMP",
  kind: "VARCHAR",
  role: "VARCHAR",
  environment: "VARCHAR",
  user: "VARCHAR",
  statement_hash: "VARCHAR",
  tables_read: "VARCHAR[]",
  allowed: "BOOLEAN",
  reason: "VARCHAR",
};

/** The query behind `pulse_meta.audit_log` (an empty table of the same columns before the first record). */
export function auditLogQuery(home: string): string {
  const file = homePaths(home).auditLog;
  const columns = Object.entries(COLUMNS);
  if (!fs.existsSync(file)) return `select ${columns.map(([name, type]) => `cast(null as ${type}) as "${name}"`).join(", ")} limit 0`;
  const spec = columns.map(([name, type]) => `"${name}": '${type}'`).join(", ");
  return `select * from read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${spec}})`;
}
