/**
 * Text that came from outside (file contents, file names, engine errors quoting them) made safe to print or store:
 * control characters (C0, DEL, C1: terminal escape sequences start with them), bidirectional overrides and lone
 * surrogates are written as `\xNN` / `\u{NNNN}`, and the result is cut to `max` characters. A hostile landing file
 * must not drive the operator's terminal, nor copy a protected file's contents into a readable message.
 */
export function displayText(text: string, max = 120): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || (code >= 0xd800 && code <= 0xdfff)) out += `\\u{${code.toString(16)}}`;
    else out += char;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}
