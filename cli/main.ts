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
    // Exits once the line is written rather than when nothing is left to run: a failed command has nothing more to
    // do, and a client's retry timers (the BigQuery clients retry for 10-20 minutes) would keep the process alive.
    // pulse's writes are made to survive a kill at any point (the SIGKILL tests of the landing load, the lake commit
    // and the stream ingest), so stopping here loses nothing. Node's exit joins its thread pool: a DuckDB query
    // deadlocked there by a connection closed under it hung the exit itself (gdb), which is why the landing load
    // settles its lanes before it closes their connections.
    const exit = () => process.exit(exitCode);
    process.stderr.write(`pulse: ${message}\n`, exit);
    if (process.stderr.writableLength === 0) exit();
  },
);
