import { readFile } from "node:fs/promises";
import { z } from "zod";

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) this summary reads. */
const CpuProfile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

export interface ProfileShare {
  category: string;
  ms: number;
  share: number;
}

/**
 * Where a stream ingest thread spends its time, from its self-time samples: each sample is charged to
 * the innermost frame, then to the first category whose rule matches that frame, or to the nearest
 * ancestor that does (native helpers such as JSON.parse have no url of their own).
 */
const CATEGORIES: [string, (name: string, url: string) => boolean][] = [
  ["idle (waiting for the broker or a write)", (name) => name === "(idle)" || name === "(program)"],
  ["garbage collection", (name) => name === "(garbage collector)"],
  ["zod schema checks", (_, url) => url.includes("/zod/")],
  ["bulk payload check (join, Latin-1 decode, plain-shape match)", (_, url) => url.includes("ingest/batchValidate")],
  // V8 charges JSON.parse and TextDecoder's native work to validatePayload itself.
  ["payload validation (utf-8 decode, JSON.parse)", (name, url) => url.includes("ingest/validate") || name === "decodeUTF8" || url === "node:internal/encoding"],
  ["kafkajs Long arithmetic (offset decoding and filtering of fetched batches, resolveOffset)", (_, url) => url.includes("kafkajs/src/utils/long") || url.includes("kafkajs/src/consumer/seekOffsets")],
  ["kafkajs fetch decoding (record batches, crc, varints)", (_, url) => url.includes("kafkajs/src/protocol")],
  ["kafkajs consumer and network", (_, url) => url.includes("kafkajs/")],
  ["Kafka source (replay filter, runs, records, offsets)", (_, url) => url.includes("sources/kafka")],
  ["sink buffers (multiplex columns)", (_, url) => url.includes("ingest/sink")],
  ["DuckDB (append, COPY to Parquet, fsync) via node-api", (_, url) => url.includes("duckdb")],
  ["lake commit (rename, clock, lock)", (_, url) => url.includes("/lake/")],
  ["module loading (start-up)", (_, url) => url.startsWith("node:internal/modules")],
  ["other Node internals", (_, url) => url.startsWith("node:")],
];

export async function summarizeCpuProfile(file: string): Promise<ProfileShare[]> {
  const profile = CpuProfile.parse(JSON.parse(await readFile(file, "utf8")));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const categoryOf = new Map<number, string>();
  const categorize = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const rule = CATEGORIES.find(([, matches]) => matches(node.callFrame.functionName, node.callFrame.url));
    const up = parent.get(id);
    const category = rule?.[0] ?? (up === undefined ? "other" : categorize(up));
    categoryOf.set(id, category);
    return category;
  };
  const micros = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const category = categorize(id);
    micros.set(category, (micros.get(category) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...micros.values()].reduce((a, b) => a + b, 0);
  return [...micros].map(([category, us]) => ({ category, ms: Math.round(us / 1000), share: us / Math.max(total, 1) })).sort((a, b) => b.ms - a.ms);
}
