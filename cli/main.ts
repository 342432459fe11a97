#!/usr/bin/env node
import { describeFailure } from "./failure.js";
import { runPulse } from "./program.js";

// `pulse query ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

runPulse(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`pulse: ${message}\n`);
    process.exitCode = exitCode;
  },
);
