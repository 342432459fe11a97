/**
 * Flags whose values never reach stored command lines (run history, lock files): `--vars` values can carry
 * credentials (a dataset password, an API key), and any flag named like a secret is treated as one.
 */
const SECRET_FLAG = /(pass(word)?|secret|token|key|credential|auth)/i;
const MASK = "***";
/** Anything in a command line that redactCommandLine might change (a cheap filter over stored lines). */
export const SECRET_HINT = /--vars|pass|secret|token|key|credential|auth|\/\/[^/\s:@]+:[^@\s/]*@/;

/** `k=v,k2=v2` → `k=***,k2=***`: the names say what the run used, the values stay out of the record. */
function maskVars(value: string): string {
  return value
    .split(",")
    .map((pair) => {
      const equals = pair.indexOf("=");
      return equals < 0 ? MASK : `${pair.slice(0, equals)}=${MASK}`;
    })
    .join(",");
}

function maskValue(flag: string, value: string): string {
  return flag === "vars" ? maskVars(value) : MASK;
}

function isSecretFlag(flag: string): boolean {
  return flag === "vars" || SECRET_FLAG.test(flag);
}

/** Userinfo in URLs (`kafka://user:pw@host`) is a secret wherever it appears. */
function maskUrlPasswords(token: string): string {
  return token.replace(/(\/\/[^/\s:@]+):[^@\s/]*@/g, `$1:${MASK}@`);
}

/**
 * A command line as it may be stored: `--vars` values and secret-looking flag values (`--flag value` and
 * `--flag=value`) replaced by `***`, URL passwords masked. Pure. Takes the line as the CLI joined it (argv
 * joined by spaces), so a value that held spaces spans several tokens: everything up to the next `--flag`
 * belongs to the secret flag.
 */
export function redactCommandLine(command: string): string {
  const argv = command.split(" ");
  const out: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!;
    const match = /^--([A-Za-z0-9-]+)(=(.*))?$/s.exec(token);
    if (match && isSecretFlag(match[1]!)) {
      const parts = match[2] === undefined ? [] : [match[3]!];
      while (index + 1 < argv.length && !argv[index + 1]!.startsWith("--")) parts.push(argv[++index]!);
      const masked = parts.length > 0 ? maskValue(match[1]!, parts.join(" ")) : undefined;
      out.push(masked === undefined ? token : match[2] === undefined ? `${token} ${masked}` : `--${match[1]}=${masked}`);
      continue;
    }
    out.push(maskUrlPasswords(token));
  }
  return out.join(" ");
}
