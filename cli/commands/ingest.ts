import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { formatLandingEvent, formatLandingSummary } from "../../ingest/landing/landingReport.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { isStreamIngest, main as streamIngest } from "./ingestStream.js";

const OPTIONS = {
  source: { type: "string" },
  once: { type: "boolean" },
} as const;

// Kafka and Pub/Sub never reach this schema (see main), so only landing is valid here.
const Flags = z.object({
  source: z.enum(["landing"], { message: "must be landing, kafka or pubsub" }),
  once: z.boolean().optional(),
  help: z.boolean().optional(),
});

const USAGE = `usage: pulse ingest --source landing --once
       pulse ingest --source kafka|pubsub ...   (pulse ingest --source kafka --help)
       pulse ingest status ...

  --source landing --once   load every landing file not loaded before into bronze, then exit
  --source kafka|pubsub     run the ingestion service until SIGINT/SIGTERM
`;

export async function main(argv: string[]): Promise<number> {
  // Kafka / Pub/Sub / status have their own flags (cli/commands/ingestStream.ts).
  if (isStreamIngest(argv)) return streamIngest(argv);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { flags, home } = parseCommandArgs("ingest", argv, OPTIONS, Flags);
  return ingestLanding(home, flags.once === true);
}

async function ingestLanding(home: string, once: boolean): Promise<number> {
  if (!once) throw new UserError("ingest --source landing needs --once (it loads what is there and exits)");
  const summary = await loadLandingOnce(home, { onEvent: (event) => process.stderr.write(`${formatLandingEvent(event)}\n`) });
  process.stdout.write(`${formatLandingSummary(summary)}\n`);
  // README "Exit codes": 3 = the load finished, but files were left unloaded, quarantined or refused as changed.
  return summary.outcome === "complete" ? 0 : 3;
}
