import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "@commander-js/extra-typings";

/** Any command, whatever flags it declares (these helpers read flags by name). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command<any[], any, any>;
import { UserError } from "../lib/errors.js";
import { resolveHome } from "../lib/home.js";
import { DEFAULT_ENVIRONMENT, resolveEnvironment, type ResolvedEnvironment } from "../environments/environments.js";
import { environmentHome } from "../environments/envHome.js";
import { assertWritable } from "../environments/writeGuard.js";
import { brokerList, nonEmpty, seconds } from "./flagValues.js";

/** Flags several commands share, declared once here. */
export const homeOption = () => new Option("--home <dir>", "state directory (default: $PULSE_HOME, else <project>/.pulse)").env("PULSE_HOME");
/** program.ts adds it to every command that takes --home: the environment picks the folder under the home. */
export const projectOption = () => new Option("--project <dir>", "the Dataform project directory (default: the current directory)");
/** `run` and `promote` target BigQuery with `--warehouse bigquery` and these two. */
export const gcpProjectOption = () => new Option("--gcp-project <id>", "BigQuery project (with --warehouse bigquery)").argParser(nonEmpty);
export const locationOption = () => new Option("--location <location>", "BigQuery location (with --warehouse bigquery)").argParser(nonEmpty);
export const lockTimeoutOption = () => new Option("--lock-timeout <seconds>", "how long to wait for another process holding the warehouse").argParser(seconds).default(600);

export function projectDirOf(options: { project?: string }): string {
  if (options.project === "") throw new UserError("--project: empty (give a directory)");
  return path.resolve(options.project ?? process.cwd());
}

/** The environment a command works in: `--env`, else PULSE_ENV (empty counts as unset), else dev. */
export function envOf(command: AnyCommand, projectDir: string): ResolvedEnvironment {
  const name = command.opts().env as string | undefined;
  if (command.getOptionValueSource("env") === "cli" && name === "") throw new UserError(`--env: empty (give an environment name; leave it out for ${DEFAULT_ENVIRONMENT})`);
  return resolveEnvironment(projectDir, name || DEFAULT_ENVIRONMENT);
}

/**
 * The state folder of the command's environment, `<PULSE_HOME>/<env>/` (see homeRootOf). `writes` names what the
 * command does when it changes that state: an environment closed to developer writes (prod) refuses it.
 */
export function homeOf(command: AnyCommand, projectDir: string, options: { mustExist?: boolean; writes?: string } = {}): string {
  const env = envOf(command, projectDir);
  if (options.writes) assertWritable(env, options.writes);
  const root = homeRootOf(command, projectDir, options);
  const home = environmentHome(root, env.name, (message) => process.stderr.write(`${message}\n`));
  if (options.mustExist && !fs.existsSync(home)) throw new UserError(`environment '${env.name}' has no state under ${root} yet (nothing has been ingested or run with --env ${env.name})`);
  return home;
}

/**
 * The PULSE_HOME a command works in. `--home ""` is refused (it would put state in the current directory,
 * often the source tree); an empty PULSE_HOME counts as unset. A home that exists must be a directory;
 * `mustExist` is for commands that only read it, where a mistyped path must not become a fresh empty home.
 */
export function homeRootOf(command: AnyCommand, projectDir: string, { mustExist = false } = {}): string {
  const flag = command.opts().home as string | undefined;
  const fromCli = command.getOptionValueSource("home") === "cli";
  if (fromCli && flag === "") throw new UserError("--home: empty (give a directory; leave it out for $PULSE_HOME or <project>/.pulse)");
  const home = resolveHome(flag === "" ? undefined : flag, projectDir);
  const named = fromCli ? `--home ${home}` : flag ? `PULSE_HOME ${home}` : `home ${home}`;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(home);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new UserError(`${named}: cannot be read (${code})`, 1);
  }
  if (stat && !stat.isDirectory()) throw new UserError(`${named}: not a directory`);
  if (!stat && mustExist) throw new UserError(`${named}: no such directory (nothing has been ingested or run there; check the path)`);
  return home;
}

/** The command line as typed (`pulse run --tags x`), for run history and the lock file. */
export function commandLine(command: AnyCommand): string {
  let root: AnyCommand = command;
  while (root.parent) root = root.parent as AnyCommand;
  return ["pulse", ...(root as unknown as { rawArgs: string[] }).rawArgs].join(" ");
}

export const DEFAULT_BROKERS = ["127.0.0.1:9092"];
export const brokersOption = () => new Option("--brokers <host:port,...>", "Kafka bootstrap servers").argParser(brokerList).default(DEFAULT_BROKERS, DEFAULT_BROKERS.join(","));
export const topicPrefixOption = () => new Option("--topic-prefix <prefix>", "topics are <prefix>user_info, <prefix>bpm, <prefix>workout").default("");
export const pubsubProjectOption = () => new Option("--project-id <id>", "Pub/Sub project (the emulator: PUBSUB_EMULATOR_HOST)").env("PUBSUB_PROJECT_ID").argParser(nonEmpty).default("pulse-local");
// No default value here: it depends on --env (environments/streamNames.ts), which the action resolves.
export const subscriptionPrefixOption = () => new Option("--subscription-prefix <prefix>", "Pub/Sub subscriptions are <prefix><feed> (default: pulse-, outside dev pulse-<env>-)");

/** The flags among `names` given on the command line (not from a default or the environment). */
export function givenFlags(command: AnyCommand, names: string[]): string[] {
  return names.filter((name) => command.getOptionValueSource(name) === "cli");
}

/** Refuses flags given on the command line that do not apply to a mode. */
export function rejectFlags(command: AnyCommand, names: string[], mode: string): void {
  const given = givenFlags(command, names);
  if (given.length > 0) throw new UserError(`${given.map((name) => `--${kebab(name)}`).join(", ")} cannot be combined with ${mode}`);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
