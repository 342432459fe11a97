import { PLAIN_PAYLOAD } from "./schemas/plainPayloads.js";
import type { StreamTopic } from "./schemas/topics.js";

const NEWLINE = 0x0a;

/** Per topic, its plain shape followed by the separator, sticky: matched line after line along a joined batch. */
const PLAIN_LINE = new Map(Object.entries(PLAIN_PAYLOAD).map(([topic, pattern]) => [topic, new RegExp(`(?:${pattern})\\n`, "y")]));
/** A key the joined form can carry unchanged: ASCII without a newline. */
const KEY_LINE = /[^\n\x80-\xff]*\n/y;

/**
 * The bulk check of a run of stream payloads: if every one of `values` is plain for `topic`
 * (ingest/schemas/plainPayloads.ts), their text joined by newlines; otherwise undefined, and the caller checks
 * the run message by message (validate.ts), which alone decides what is rejected and why. So this path can only
 * ever accept less than the per-message one, never more.
 *
 * Why in bulk: per message, UTF-8 decoding, JSON.parse, zod and the strings and objects they leave for the
 * garbage collector were a third of the ingest's CPU (bench/ingest.ts --profile). Here a run is one copy, one
 * Latin-1 decode (plain shapes are ASCII, so any other byte fails the match instead of being decoded) and one
 * regular-expression step per message over the joined text, and what stays alive is one string per run.
 */
export function plainPayloadRun(topic: StreamTopic, values: readonly (Uint8Array | null)[]): string | undefined {
  const line = PLAIN_LINE.get(topic);
  if (line === undefined) return undefined;
  const text = joinedLines(values);
  return text !== undefined && everyLineMatches(text, values.length, line) ? text.slice(0, -1) : undefined;
}

/**
 * Message keys joined by newlines, if each is ASCII without a newline; null if every key is null;
 * otherwise (a mix, or a key the joined form cannot carry) undefined.
 */
export function joinedKeys(keys: readonly (Uint8Array | null)[]): string | null | undefined {
  if (keys.every((key) => key === null)) return null;
  const text = joinedLines(keys);
  return text !== undefined && everyLineMatches(text, keys.length, KEY_LINE) ? text.slice(0, -1) : undefined;
}

/** Each part followed by a newline, as Latin-1 text (one char per byte); undefined if a part is null. */
function joinedLines(parts: readonly (Uint8Array | null)[]): string | undefined {
  let total = 0;
  for (const part of parts) {
    if (part === null) return undefined;
    total += part.length + 1;
  }
  const joined = Buffer.allocUnsafe(total);
  let at = 0;
  for (const part of parts as readonly Uint8Array[]) {
    joined.set(part, at);
    at += part.length;
    joined[at++] = NEWLINE;
  }
  return joined.toString("latin1");
}

/**
 * True when `text` is exactly `count` matches of `line` (sticky, ending in the newline), one after the other. The
 * text then holds exactly `count` newlines, so none was inside a part and splitting it on newlines gives the parts.
 */
function everyLineMatches(text: string, count: number, line: RegExp): boolean {
  line.lastIndex = 0;
  for (let i = 0; i < count; i++) if (!line.test(text)) return false;
  return line.lastIndex === text.length;
}
