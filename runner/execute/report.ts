import { formatBytes } from "../../lib/formatBytes.js";
import { textTable } from "../../lib/textTable.js";
import type { ActionResult, RunSummary } from "./results.js";
import { counts } from "./results.js";

/** The per-action table printed after a run. */
export function resultsTable(results: ActionResult[]): string {
  return textTable(
    ["action", "type", "status", "rows", "seconds"],
    results.map((r) => [r.name, r.mode && r.type !== "view" ? `${r.type} (${r.mode})` : r.type, r.status, r.rows ?? null, Math.round(r.seconds * 1000) / 1000]),
  );
}

/** Why each failed action failed and why each skipped one was skipped. */
export function failureDetails(results: ActionResult[]): string[] {
  return results.flatMap((r) => {
    if (r.status === "failed") return [`FAILED ${r.name}: ${r.error ?? "unknown error"}`];
    if (r.status === "skipped") return [`skipped ${r.name}: dependency ${r.skippedBecause} did not succeed`];
    return [];
  });
}

/** Why an action ran in another mode than asked: a table rebuilt in full because its semantics changed. */
export function modeNotes(results: ActionResult[]): string[] {
  return results.flatMap((r) => (r.note ? [`${r.name}: ${r.note}`] : []));
}

/** One line: how many actions did what, and how long it took. */
export function summaryLine(summary: RunSummary): string {
  const tally = counts(summary.results);
  const seconds = (summary.finishedAt.getTime() - summary.startedAt.getTime()) / 1000;
  const parts = [`${tally.success} succeeded`, `${tally.failed} failed`, `${tally.skipped} skipped`];
  if (tally.disabled > 0) parts.push(`${tally.disabled} disabled`);
  const verb = summary.dryRun ? "Dry run planned" : tally.failed > 0 ? "Run FAILED" : "Run succeeded";
  return `${verb}: ${summary.results.length} action(s): ${parts.join(", ")} in ${seconds.toFixed(2)}s`;
}

/** `--dry-run` on BigQuery: the bytes each action would process (its statements' dry-run jobs) and the total. */
export function bytesReport(results: ActionResult[]): string[] {
  const estimated = results.filter((r) => r.bytes !== undefined);
  if (estimated.length === 0) return [];
  const unestimated = estimated.reduce((n, r) => n + r.bytes!.unestimated, 0);
  const total = estimated.reduce((n, r) => n + r.bytes!.processed, 0);
  return [
    "bytes each action would process (BigQuery dry-run jobs):",
    ...estimated.map((r) => `  ${formatBytes(r.bytes!.processed)}  ${r.name}${r.bytes!.unestimated > 0 ? `  (+ ${r.bytes!.unestimated} statement(s) without an estimate)` : ""}`),
    `total: ${formatBytes(total)}${unestimated > 0 ? ` (${unestimated} statement(s) without an estimate: not yet built, or DDL/DML the server gives no figure for)` : ""}`,
  ];
}

/** The dry-run plan: each action with every statement it would execute. */
export function planText(results: ActionResult[]): string {
  return results
    .map((r) => {
      const header = `-- ${r.name} [${r.type}${r.mode ? `, ${r.mode}` : ""}]${r.status === "failed" ? ` CANNOT PLAN: ${r.error}` : ""}${r.status === "skipped" ? ` (skipped: ${r.skippedBecause})` : ""}${r.note ? `\n-- ${r.note}` : ""}`;
      const steps = (r.plan?.steps ?? []).map((step) => `-- step: ${step.label}\n${step.sql.trim()};`);
      return [header, ...steps].join("\n");
    })
    .join("\n\n");
}
