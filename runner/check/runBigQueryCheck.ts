import type { ProjectConfigOverride } from "../compile/compile.js";
import { checkBigQuery, type CheckFinding } from "./checkBigQuery.js";

/** One line per finding: `file:line:col: action [form, step]: message (position in the compiled statement)`. */
export function formatFinding(f: CheckFinding): string {
  const where = f.file ? (f.source ? `${f.file}:${f.source.line}:${f.source.column}` : f.file) : "(project)";
  const inStatement = f.statementLine !== undefined ? ` (line ${f.statementLine}, column ${f.statementColumn} of the compiled statement)` : "";
  return `${where}: ${f.action} [${f.form}, ${f.step}]: ${f.message}${inStatement}`;
}

/** `pulse compile --check bigquery`: prints each finding and a summary; exit 1 on any finding. */
export async function runBigQueryCheck(projectDir: string, vars: Record<string, string>, override: ProjectConfigOverride = {}): Promise<number> {
  const started = performance.now();
  const report = await checkBigQuery({ projectDir, vars, override, log: (line) => process.stderr.write(`${line}\n`) });
  for (const finding of report.findings) process.stdout.write(`${formatFinding(finding)}\n`);
  for (const s of report.skipped) process.stdout.write(`  not analysed: ${s.action} [${s.form}]: ${s.reason}\n`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const total = [...report.statements.values()].reduce((a, b) => a + b, 0);
  const forms = [...report.statements].map(([form, n]) => `${form} ${n}`).join(", ");
  const summary = `ZetaSQL (BigQuery): ${total} statement(s) of ${report.actions} action(s) analysed in ${seconds} s (${forms})`;
  if (report.findings.length === 0) {
    process.stdout.write(`${summary}: no errors.\n`);
    return 0;
  }
  process.stdout.write(`${summary}: ${report.findings.length} error(s).\n`);
  return 1;
}
