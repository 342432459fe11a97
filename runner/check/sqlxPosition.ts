/** A position in a project file, 1-based. `exact` is false when only the line is known (it holds `${...}`). */
export interface SourcePosition {
  line: number;
  column: number;
  exact: boolean;
}

const INTERPOLATION = /\$\{[^}]*\}/;

const indent = (text: string) => text.length - text.trimStart().length;

/** Whether a compiled line is this source line with its `${...}` expressions rendered. */
function rendersFrom(compiled: string, source: string): "exact" | "interpolated" | undefined {
  const c = compiled.trim();
  const s = source.trim();
  if (c === s) return "exact";
  if (!INTERPOLATION.test(s)) return undefined;
  const fragments = s.split(INTERPOLATION);
  // A line that is all `${...}` could have rendered into anything.
  if (fragments.join("").trim().length < 4) return undefined;
  if (!c.startsWith(fragments[0]!)) return undefined;
  let from = fragments[0]!.length;
  for (const fragment of fragments.slice(1)) {
    const at = c.indexOf(fragment, from);
    if (at < 0) return undefined;
    from = at + fragment.length;
  }
  return fragments.at(-1) === "" || c.endsWith(fragments.at(-1)!) ? "interpolated" : undefined;
}

/**
 * Maps a position in a compiled statement back to the SQLX file it came from. Dataform copies the SQL body
 * line by line, so the compiled line is found in the source, either verbatim or with `${...}` rendered; when
 * a line occurs several times, the n-th occurrence in the statement maps to the n-th in the file. Lines too
 * short to identify (a lone parenthesis) are not mapped.
 */
export function sqlxPosition(source: string, statement: string, line: number, column: number): SourcePosition | undefined {
  const compiledLines = statement.split("\n");
  const compiled = compiledLines[line - 1];
  if (compiled === undefined || compiled.trim().length < 4) return undefined;
  const sourceLines = source.split("\n");
  const candidates: { index: number; kind: "exact" | "interpolated" }[] = [];
  sourceLines.forEach((text, index) => {
    const kind = rendersFrom(compiled, text);
    if (kind) candidates.push({ index, kind });
  });
  if (candidates.length === 0) return undefined;
  const earlier = compiledLines.slice(0, line - 1).filter((text) => text.trim() === compiled.trim()).length;
  const match = candidates[Math.min(earlier, candidates.length - 1)]!;
  const sourceLine = sourceLines[match.index]!;
  const offset = column - 1 - indent(compiled);
  const literalPrefix = sourceLine.trim().split(INTERPOLATION)[0]!.length;
  if (match.kind === "exact" || offset < literalPrefix) {
    return { line: match.index + 1, column: indent(sourceLine) + Math.max(offset, 0) + 1, exact: true };
  }
  return { line: match.index + 1, column: indent(sourceLine) + 1, exact: false };
}
