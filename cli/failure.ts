import { UserError } from "../lib/errors.js";
import { EXIT } from "./program.js";

/** Exit code for a bug: pulse itself failed (sysexits' EX_SOFTWARE); the stack is printed for a report. */
export const EXIT_INTERNAL = 70;

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ENOENT: "no such file or directory",
  EEXIST: "already exists",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "name too long",
  EMFILE: "too many open files",
  ECONNREFUSED: "connection refused",
};

/**
 * What the CLI prints for an error that ended a command, and its exit code. Expected conditions (bad
 * input, a full disk, a missing permission, a broker or emulator that cannot be reached) get one line and
 * exit 1 (or the UserError's code); anything else is a bug and keeps its stack (exit 70).
 */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UserError) return { message: error.message, exitCode: error.exitCode };
  if (!(error instanceof Error)) return { message: `internal error: ${String(error)}`, exitCode: EXIT_INTERNAL };
  const { code, path: file, syscall } = error as NodeJS.ErrnoException;
  if (typeof code === "string" && code in ERRNO_TEXT) {
    const where = file ? `${file}: ` : "";
    return { message: `${where}${ERRNO_TEXT[code]} (${syscall ? `${syscall}, ` : ""}${code})`, exitCode: EXIT.failure };
  }
  if (error.name.startsWith("KafkaJS")) return { message: `Kafka: ${error.message}`, exitCode: EXIT.failure };
  // gRPC status errors (the Pub/Sub client) carry a numeric code and the server's details.
  if (typeof (error as { code?: unknown }).code === "number" && typeof (error as { details?: unknown }).details === "string") {
    return { message: `Pub/Sub: ${error.message}`, exitCode: EXIT.failure };
  }
  // DuckDB reports file-system failures (a full disk, a missing permission) as IO / Permission errors.
  if (/^(IO|Permission) Error: /.test(error.message)) return { message: firstLine(error.message), exitCode: EXIT.failure };
  return { message: `internal error: ${error.stack ?? error.message}`, exitCode: EXIT_INTERNAL };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!;
}
