import { runMainJob } from "../../jobs/mainJob.js";
import { envOf, homeOf, homeOption, homeRootOf, projectDirOf, projectOption } from "../commonOptions.js";
import { wholeNumber } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "The main job (npm start): synthetic fleet → landing → bronze → silver → gold on the embedded DuckDB, then prints the gold summaries. Each run lands the next days of data and runs incrementally.",
    )
    .option("--users <n>", "devices in the synthetic fleet (1-100000)", wholeNumber(1, 100_000), 25)
    .option("--days <d>", "days of data each run lands (1-365)", wholeNumber(1, 365), 2)
    .option("--seed <s>", "same seed, same data", wholeNumber(0), 42)
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      exit(
        await runMainJob({
          projectDir,
          home: homeOf(self, projectDir, { writes: "demo" }),
          cli: { homeRoot: homeRootOf(self, projectDir), env: envOf(self, projectDir).name },
          users: flags.users,
          days: flags.days,
          seed: flags.seed,
          log: (line) => process.stdout.write(`${line}\n`),
        }),
      );
    });
