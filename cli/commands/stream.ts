import { z } from "zod";
import { commaList, parseCommandArgs, parseVars } from "../../lib/args.js";
import { durationMs } from "../../lib/duration.js";
import { runStreamJob } from "../../jobs/streamJob.js";
import { STREAM_INGEST_OPTIONS, StreamIngestFlags, startStreamIngest } from "./ingestStream.js";

const USAGE = `usage: pulse stream [--source kafka|pubsub|landing] [--interval 5s] [--tags a,b] [--vars k=v,...]
                    [ingest flags: --brokers, --group, --topic-prefix, --topics, --project-id, --subscription-prefix, ...]

Ingests continuously and runs the graph incrementally every --interval, in one process, until Ctrl-C.
The landing zone (registrations, gym logins, any files) is loaded before each run; --source landing
does only that, without a stream. The status line shows each run's duration and rows, and freshness:
how long before the run finished the oldest message it made visible was produced (its message
timestamp); shown only for live timestamps (replays keep historical ones, e.g. pulse produce without
--timestamps send). 'pulse ingest --help' lists the ingest flags.`;

const Flags = StreamIngestFlags.extend({
  source: z.enum(["kafka", "pubsub", "landing"]).default("kafka"),
  interval: durationMs.default(5000),
  tags: z.string().optional(),
  vars: z.string().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const { flags, projectDir, home } = parseCommandArgs(
    "stream",
    argv,
    { ...STREAM_INGEST_OPTIONS, interval: { type: "string" }, tags: { type: "string" }, vars: { type: "string" } },
    Flags,
  );
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const source = flags.source;
  return runStreamJob({
    startIngest: source === "landing" ? undefined : () => startStreamIngest(source, { ...flags, source }, home, (line) => log(`ingest ${source}: ${line}`)),
    run: {
      projectDir,
      home,
      selection: { tags: commaList(flags.tags) },
      vars: parseVars(flags.vars),
      fullRefresh: false,
      command: `pulse stream ${argv.join(" ")}`.trim(),
    },
    intervalMs: flags.interval,
    log,
  });
}
