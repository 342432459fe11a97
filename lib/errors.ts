/**
 * An error caused by the user's input (flags, project files, data), not by a bug in pulse.
 * The CLI prints its message without a stack trace and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}
