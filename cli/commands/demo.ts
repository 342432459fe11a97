import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { runMainJob } from "../../jobs/mainJob.js";

const USAGE = `usage: pulse demo [--users N] [--days D] [--seed S] [--home DIR]

The main job (npm start): synthetic fleet → landing → bronze → silver → gold on the embedded DuckDB,
then prints the gold summaries. Each run lands the next days of data and runs incrementally.`;

const Flags = z.object({
  users: z.coerce.number().int().min(1).max(100_000).default(25),
  days: z.coerce.number().int().min(1).max(365).default(2),
  seed: z.coerce.number().int().min(0).default(42),
  help: z.boolean().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const { flags, home, projectDir } = parseCommandArgs("demo", argv, { users: { type: "string" }, days: { type: "string" }, seed: { type: "string" } }, Flags);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return runMainJob({
    projectDir,
    home,
    users: flags.users,
    days: flags.days,
    seed: flags.seed,
    log: (line) => process.stdout.write(`${line}\n`),
  });
}
