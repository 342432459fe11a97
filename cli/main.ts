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
    // Exits once the line is written rather than when nothing is left to run: work the failure made pointless (a
    // landing load's other lanes, a client's retry timers) kept a failed `ingest --sink bigquery` running over 130 s
    // after this line. pulse's writes are made to survive a kill at any point (the SIGKILL tests of the landing
    // load, the lake commit and the stream ingest), so stopping here loses nothing. At once when the write was
    // synchronous (files, terminals, and pipes on Linux): exiting from the write's callback, a failed load still ran
    // on for over 130 s in 2 of 5 runs, silent, as if another lane's callbacks, which run first, blocked the thread.
    const exit = () => process.exit(exitCode);
    process.stderr.write(`pulse: ${message}\n`, exit);
    if (process.stderr.writableLength === 0) exit();
  },
);
