/** Values DuckDB returns that JSON cannot carry as-is become numbers or strings. */
export function jsonFriendly(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === null || value === undefined) return null;
  if (typeof value === "object") {
    if (Array.isArray(value)) return value.map(jsonFriendly);
    const maybe = value as { toString(): string; constructor?: { name?: string } };
    if (maybe.constructor?.name && maybe.constructor.name !== "Object") return maybe.toString();
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonFriendly(v)]));
  }
  return value;
}
