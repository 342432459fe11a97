import { UserError } from "./errors.js";

/** Splits a comma-separated flag value ("a,b, c") into trimmed, non-empty items. */
export function commaList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Parses `--vars k=v,k2=v2` (the `dataform run` format) into a map; a malformed pair names itself. */
export function parseVars(value: string | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of commaList(value)) {
    const equals = pair.indexOf("=");
    const key = equals > 0 ? pair.slice(0, equals).trim() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UserError(`--vars: '${pair}' is not key=value (expected --vars name=value,other=value)`);
    }
    const value = pair.slice(equals + 1).trim();
    // An empty value would reach the project as "" and numeric vars would read it as 0: refuse it.
    if (value === "") throw new UserError(`--vars: '${pair}' has no value (expected --vars name=value)`);
    vars[key] = value;
  }
  return vars;
}
