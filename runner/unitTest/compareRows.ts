/** Result of comparing a unit test's actual rows with its expected rows, ignoring row order. */
export interface RowComparison {
  passed: boolean;
  messages: string[];
}

/** A row's identity for multiset comparison: values by column name, in the expected column order. */
function rowKey(row: Record<string, unknown>, columns: string[]): string {
  return JSON.stringify(columns.map((c) => normalize(row[c])));
}

/** 1 and 1.0, or BIGINT and INTEGER, compare equal; text compares exactly. */
function normalize(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value === undefined) return null;
  return value;
}

/**
 * Order-insensitive comparison, as a multiset of rows: same column names, and every expected row
 * present as many times as expected. The messages say which columns or rows differ.
 */
export function compareRows(actual: Record<string, unknown>[], expected: Record<string, unknown>[], actualColumns: string[], expectedColumns: string[]): RowComparison {
  const messages: string[] = [];
  const missingColumns = expectedColumns.filter((c) => !actualColumns.includes(c));
  const extraColumns = actualColumns.filter((c) => !expectedColumns.includes(c));
  if (missingColumns.length > 0 || extraColumns.length > 0) {
    if (missingColumns.length) messages.push(`missing column(s): ${missingColumns.join(", ")}`);
    if (extraColumns.length) messages.push(`unexpected column(s): ${extraColumns.join(", ")}`);
    return { passed: false, messages };
  }
  const remaining = new Map<string, number>();
  for (const row of actual) {
    const key = rowKey(row, expectedColumns);
    remaining.set(key, (remaining.get(key) ?? 0) + 1);
  }
  const missing: string[] = [];
  for (const row of expected) {
    const key = rowKey(row, expectedColumns);
    const left = remaining.get(key) ?? 0;
    if (left > 0) remaining.set(key, left - 1);
    else missing.push(key);
  }
  const unexpected = [...remaining.entries()].flatMap(([key, n]) => Array.from({ length: n }, () => key));
  if (missing.length === 0 && unexpected.length === 0) return { passed: true, messages };
  const header = `  (${expectedColumns.join(", ")})`;
  messages.push(`expected ${expected.length} row(s), got ${actual.length}`);
  if (missing.length) messages.push(`- expected but missing:\n${header}\n${missing.map((k) => `  - ${k}`).join("\n")}`);
  if (unexpected.length) messages.push(`+ present but not expected:\n${header}\n${unexpected.map((k) => `  + ${k}`).join("\n")}`);
  return { passed: false, messages };
}
