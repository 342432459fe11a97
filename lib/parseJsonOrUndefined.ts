/** JSON.parse for text that may be torn or hand-edited: undefined instead of a SyntaxError; validate the result. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
