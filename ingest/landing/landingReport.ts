import { displayText } from "../../lib/displayText.js";
import type { LandingEvent, LandingSummary } from "./landingOutcome.js";

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** File names come from whoever writes the landing zone: printed escaped, like every reason. */
const name = (file: string) => displayText(file, 200);

/** One progress line per event, for stderr. */
export function formatLandingEvent(event: LandingEvent): string {
  switch (event.kind) {
    case "start":
      return `landing: ${event.files} file(s) in the landing zone, ${event.newFiles} not loaded before`;
    case "loading":
      return `  … ${name(event.file)}: ${event.seconds.toFixed(0)} s`;
    case "loaded":
      return `  [${event.done}/${event.files}] ${name(event.file)}: ${count(event.rows)} rows${event.deadLetters > 0 ? `, ${count(event.deadLetters)} dead letters` : ""} in ${event.seconds.toFixed(2)} s (total ${count(event.totalRows)} rows, ${count(event.rowsPerSecond)} rows/s)`;
    case "recovered":
      return `  ${name(event.file)}: already committed to ${event.store} by an interrupted run (${count(event.rows)} rows); recorded, not reloaded`;
    case "changed":
      return `  warning: ${name(event.file)} ${event.detail}`;
    case "quarantined":
      return `  warning: ${name(event.file)} quarantined (${event.reason}) → ${name(event.to)}`;
    case "skipped":
      return `  warning: ${name(event.file)} not loaded this time: ${event.reason}`;
    case "ignored":
      return `  warning: ${name(event.file)} is not *.csv, *.json or their .gz; ignored`;
  }
}

/** The closing summary. */
export function formatLandingSummary(summary: LandingSummary): string {
  const totalRows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const lines = [
    `landing load: ${summary.loaded.length} loaded, ${summary.skipped} already loaded, ${summary.recovered.length} recovered, ${summary.changed.length} changed${summary.changedBefore > 0 ? ` (+${summary.changedBefore} reported before)` : ""}, ${summary.quarantined.length} quarantined, ${summary.skippedFiles.length} not loaded, ${summary.ignored.length} ignored`,
    `  rows: ${Object.entries(summary.rows)
      .map(([table, rows]) => `bronze.${table} ${count(rows)}`)
      .join(", ")}; dead letters ${count(summary.deadLetters)}`,
    `  ${summary.seconds.toFixed(2)} s${totalRows > 0 && summary.seconds > 0 ? `, ${count(totalRows / summary.seconds)} rows/s` : ""}`,
  ];
  for (const changed of summary.changed) lines.push(`  changed: ${name(changed.file)}`);
  for (const quarantined of summary.quarantined) lines.push(`  quarantined: ${name(quarantined.file)} (${quarantined.reason})`);
  for (const skipped of summary.skippedFiles) lines.push(`  not loaded: ${name(skipped.file)} (${skipped.reason})`);
  return lines.join("\n");
}
