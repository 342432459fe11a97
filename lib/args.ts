import { parseArgs, type ParseArgsConfig } from "node:util";
import path from "node:path";
import { z } from "zod";
import { UserError } from "./errors.js";
import { resolveHome } from "./home.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command accepts. */
export const GLOBAL_OPTIONS = {
  home: { type: "string" },
  project: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/**
 * Parses argv strictly (unknown flags are errors naming the flag), then validates the values with zod.
 * Returns the validated flags, the positionals, and the resolved project and home directories.
 */
export function parseCommandArgs<O extends Options, S extends z.ZodType>(
  command: string,
  argv: string[],
  options: O,
  schema: S,
  opts: { allowPositionals?: boolean } = {},
): { flags: z.infer<S>; positionals: string[]; projectDir: string; home: string } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: opts.allowPositionals ?? false, strict: true });
  } catch (error) {
    throw new UserError(`${command}: ${(error as Error).message}`);
  }
  const values = parsed.values as Record<string, unknown>;
  const result = schema.safeParse(values);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `--${issue.path.join(".") || "?"}: ${issue.message}`);
    throw new UserError(`${command}: ${problems.join("; ")}`);
  }
  const projectDir = path.resolve((values.project as string | undefined) ?? process.cwd());
  const home = resolveHome(values.home as string | undefined, projectDir);
  return { flags: result.data, positionals: parsed.positionals, projectDir, home };
}

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
    vars[key] = pair.slice(equals + 1).trim();
  }
  return vars;
}
