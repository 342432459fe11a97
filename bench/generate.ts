import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startOfDay } from "../produce/synthetic/config.js";
import { syntheticToLanding } from "../produce/synthetic/toLanding.js";

/**
 * Synthetic generator speed at bench size (about 10 million heart-rate readings: 1,700 users over 2 days),
 * to plain and to gzipped landing files. Usage: npx tsx bench/generate.ts [users] [days]
 */
const users = Number(process.argv[2] ?? 1700);
const days = Number(process.argv[3] ?? 2);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

for (const gzip of [false, true]) {
  const home = mkdtempSync(path.join(tmpdir(), "pulse-bench-generate-"));
  const started = performance.now();
  const { records } = await syntheticToLanding({ home, config: { users, days, seed: 1, start: startOfDay("2023-03-10") }, batches: 1, gzip });
  const seconds = (performance.now() - started) / 1000;
  const total = Object.values(records).reduce((a, b) => a + b, 0);
  console.log(
    `${gzip ? "gzip " : "plain"}: ${total.toLocaleString("en-US")} records (${records.bpm.toLocaleString("en-US")} heart rate) in ${seconds.toFixed(1)} s = ${Math.round(total / seconds).toLocaleString("en-US")} records/s`,
  );
  rmSync(home, { recursive: true, force: true });
}
clearInterval(sampler);
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
