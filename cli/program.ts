import { Command, CommanderError } from "@commander-js/extra-typings";
import { UserError } from "../lib/errors.js";
import type { AnyCommand } from "./commonOptions.js";
import { envOption } from "./envOption.js";

/**
 * Each command lives in cli/commands/<name>.ts and exports `define(command, exit)`, which declares its flags
 * and an action that reports its exit code through `exit`. A command's module (and the engine code it imports) loads only when that command runs, so
 * `pulse compile` does not pay for DuckDB, kafkajs or zod.
 */
export const COMMANDS = {
  compile: { summary: "compile the Dataform project (--json prints the compiled graph)", load: () => import("./commands/compile.js") },
  run: { summary: "execute selected actions on the warehouse (dataform run flags)", load: () => import("./commands/run.js") },
  test: { summary: "run the project's Dataform unit tests on DuckDB", load: () => import("./commands/test.js") },
  query: { summary: "run SQL on the local warehouse", load: () => import("./commands/query.js") },
  ingest: { summary: "load landing files, run the Kafka / Pub/Sub ingestion service, or show its status", load: () => import("./commands/ingest.js") },
  produce: { summary: "simulate devices or replay a data set into landing, Kafka or Pub/Sub", load: () => import("./commands/produce.js") },
  stream: { summary: "ingest continuously and run the graph incrementally", load: () => import("./commands/stream.js") },
  serve: { summary: "web app on 127.0.0.1: dashboards, the live DAG, data docs, column lineage", load: () => import("./commands/serve.js") },
  lineage: { summary: "column lineage of the compiled graph (--format openlineage)", load: () => import("./commands/lineage.js") },
  docs: { summary: "docs build --out DIR: data docs and the DAG as a static site", load: () => import("./commands/docs.js") },
  bigquery: { summary: "bigquery init: create the project's datasets and bronze tables on BigQuery", load: () => import("./commands/bigquery.js") },
  env: { summary: "env list | env show [NAME]: what each environment resolves to, with the official dataform flags", load: () => import("./commands/env.js") },
  promote: { summary: "promote --from qa --to prod: run the target only if the source passed this exact graph", load: () => import("./commands/promote.js") },
  grants: { summary: "grants plan|apply --env NAME: the BigQuery DCL that enforces access.yaml", load: () => import("./commands/grants.js") },
  policy: { summary: "policy check: PII never reaches gold unmasked, owners, bronze readers, prod writers", load: () => import("./commands/policy.js") },
  demo: { summary: "the main job: synthetic data → bronze → silver → gold, then print the gold summaries", load: () => import("./commands/demo.js") },
} satisfies Record<string, { summary: string; load: () => Promise<{ define: DefineCommand }> }>;

export type DefineCommand = (command: Command, exit: (code: number) => void) => void;

type CommandName = keyof typeof COMMANDS;

/** `--env` is global: every command (and subcommand) that keeps state under --home takes it, declared here once. */
function addEnvFlag(command: AnyCommand): void {
  if (command.options.some((option) => option.long === "--home") && !command.options.some((option) => option.long === "--env")) command.addOption(envOption());
  for (const sub of command.commands) addEnvFlag(sub);
}

/** Exit codes scripts can rely on (README: "Exit codes"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, landingIncomplete: 3, locked: 75 } as const;

/**
 * Runs `pulse <argv>` and returns its exit code. Usage errors (unknown command or flag, a bad flag value)
 * are thrown as a UserError naming the command and flag (exit 2); help exits 0.
 */
export async function runPulse(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  let active: string | undefined;
  const program = new Command("pulse")
    .description("pulse: a SQL-first lakehouse for wearable-device data (Dataform project + TypeScript runner on DuckDB)")
    .usage("<command> [options]")
    .enablePositionalOptions()
    .helpCommand(false)
    .exitOverride()
    // Errors are printed once, by cli/main.ts, with the command they belong to.
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true);
  const stubs = new Map<string, Command>();
  for (const [name, { summary }] of Object.entries(COMMANDS)) {
    stubs.set(name, program.command(name).summary(summary).description(summary) as unknown as Command);
  }
  const define = async (name: string) => {
    const { define: declare } = await COMMANDS[name as CommandName].load();
    const command = stubs.get(name)!;
    declare(command, (code) => (exitCode = code));
    addEnvFlag(command);
    // Nested commands (`ingest status`) name themselves in usage errors too.
    command.hook("preSubcommand", (_command, subcommand) => void (active = `${name} ${subcommand.name()}`));
  };
  program.hook("preSubcommand", async (_program, subcommand) => {
    if (!(subcommand.name() in COMMANDS)) return;
    active = subcommand.name();
    await define(subcommand.name());
  });
  program
    .command("help")
    .description("show the help of pulse or of one command")
    .argument("[command]")
    .action(async (name) => {
      if (name === undefined) return void program.outputHelp();
      if (!stubs.has(name)) throw new UserError(`help: unknown command '${name}'`);
      await define(name);
      stubs.get(name)!.outputHelp();
    });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
    const help = active ? `pulse ${active} --help` : "pulse --help";
    throw new UserError(`${active ? `${active}: ` : ""}${error.message.replace(/^error: /, "")} (see '${help}')`, EXIT.usage);
  }
  return exitCode;
}
