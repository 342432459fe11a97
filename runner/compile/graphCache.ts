import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { trustedCacheDir, writePrivateFile } from "./coreLoader.js";
import type { CompiledGraph } from "./graph.js";

/**
 * Compiled graphs kept across processes, as dbt keeps its parsed manifest: a `pulse run` after a few new files
 * compiled the unchanged project again, 0.15-0.25 s of a 3.1 s incremental run on the pipeline bench (a 0.1% late
 * batch), and `pulse query --role` compiled on every query.
 *
 * An entry is used only if every file the compile read (definitions/, includes/, settings, packages the project
 * required) still has the content it had, the project lists the same source files, and vars, overrides, core and
 * pulse's own compile code are the same. A compile that read the clock or Math.random is not kept: its graph may
 * differ the next time. Entries live in the private cache folder of V8's code cache (coreLoader.ts), never in a
 * shared one: a graph is SQL that pulse runs.
 */

export interface CompiledForCache {
  graph: CompiledGraph;
  /** Every file the compile read, absolute. */
  inputFiles: string[];
  /** Whether the project's code read the clock or a random number while compiling. */
  readClock: boolean;
}

interface Entry {
  key: string;
  /** [absolute path, sha256 of its content] of every file the compile read. */
  inputs: [string, string][];
  graph: CompiledGraph;
}

/** A cache file's entry, checked by hand: compile does not load zod (cli/program.ts keeps `pulse compile` light). */
function parseEntry(text: string): Entry | undefined {
  const value = JSON.parse(text) as Partial<Record<keyof Entry, unknown>>;
  const inputsOk = Array.isArray(value.inputs) && value.inputs.every((i) => Array.isArray(i) && i.length === 2 && i.every((part) => typeof part === "string"));
  return typeof value.key === "string" && inputsOk && typeof value.graph === "object" && value.graph !== null ? (value as Entry) : undefined;
}

/** The code that shapes a graph besides core: this folder and the unit-test rendering, by size and modification time. */
function pulseCompileCode(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files = [...fs.readdirSync(here).map((name) => path.join(here, name)), ...fs.readdirSync(path.join(here, "..", "unitTest")).map((name) => path.join(here, "..", "unitTest", name))];
  return files
    .sort()
    .map((file) => {
      const stat = fs.statSync(file);
      return `${path.basename(file)}:${stat.size}:${stat.mtimeMs}`;
    })
    .join("|");
}

function contentHash(file: string): string | undefined {
  try {
    return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

function entryPath(dir: string, key: string): string {
  return path.join(dir, `graph-${createHash("sha256").update(key).digest("hex")}.json`);
}

/**
 * The graph for `identity` (everything but file contents that decides the compile: warehouse, vars, overrides, the
 * project's folder and source file names, core's bundle), from the cache when its inputs are unchanged, else from
 * `compile`, kept when it may be.
 */
export function cachedCompile(identity: unknown[], compile: () => CompiledForCache): CompiledGraph {
  const dir = trustedCacheDir();
  if (!dir) return compile().graph;
  const key = JSON.stringify([1, pulseCompileCode(), ...identity]);
  const file = entryPath(dir, key);
  try {
    const entry = parseEntry(fs.readFileSync(file, "utf8"));
    if (entry && entry.key === key && entry.inputs.every(([input, hash]) => contentHash(input) === hash)) return entry.graph;
  } catch {
    // No entry, or a torn one: compile.
  }
  const compiled = compile();
  if (!compiled.readClock) {
    const inputs = compiled.inputFiles.map((input) => [input, contentHash(input)] as const);
    if (inputs.every(([, hash]) => hash !== undefined)) writePrivateFile(file, JSON.stringify({ key, inputs, graph: compiled.graph }));
  }
  return compiled.graph;
}
