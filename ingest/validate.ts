import { TOPIC_SCHEMAS, type StreamTopic } from "./schemas/topics.js";

export type Validation = { ok: true; value: string } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks one message payload against its topic's schema. A valid payload is returned as the exact text
 * received (bronze keeps the raw value; silver parses it); the reason for a rejection names the first
 * failing field so an operator can fix the producer.
 */
export function validatePayload(topic: StreamTopic, bytes: Uint8Array | null): Validation {
  if (bytes === null) return { ok: false, reason: "empty message (null value)" };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "value is not UTF-8 text" };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  const result = TOPIC_SCHEMAS[topic].safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((issue) => `${issue.path.join(".") || "(value)"}: ${issue.message}`);
    return { ok: false, reason: `${topic} schema: ${issues.join("; ")}` };
  }
  return { ok: true, value: text };
}
