#!/usr/bin/env node
import { UserError } from "../lib/errors.js";

/** Each command lives in cli/commands/<name>.ts and exports `main(argv): Promise<number>` (the exit code). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  compile: { summary: "compile the Dataform project (--json prints the compiled graph)", load: () => import("./commands/compile.js") },
  run: { summary: "execute selected actions on the warehouse (dataform run flags)", load: () => import("./commands/run.js") },
  test: { summary: "run the project's Dataform unit tests on DuckDB", load: () => import("./commands/test.js") },
  query: { summary: "run SQL on the local warehouse", load: () => import("./commands/query.js") },
  ingest: { summary: "load landing files, or run the Kafka / Pub/Sub ingestion service", load: () => import("./commands/ingest.js") },
  produce: { summary: "simulate devices or replay a data set into landing, Kafka or Pub/Sub", load: () => import("./commands/produce.js") },
  stream: { summary: "ingest continuously and run the graph incrementally", load: () => import("./commands/stream.js") },
  bigquery: { summary: "bigquery init: create the datasets and bronze tables on BigQuery", load: () => import("./commands/bigquery.js") },
  serve: { summary: "web app on 127.0.0.1: dashboards, the live DAG, data docs, column lineage", load: () => import("./commands/serve.js") },
  lineage: { summary: "column lineage of the compiled graph (--format openlineage)", load: () => import("./commands/lineage.js") },
  docs: { summary: "docs build --out DIR: data docs and the DAG as a static site", load: () => import("./commands/docs.js") },
  demo: { summary: "the main job: synthetic data → bronze → silver → gold, then print the gold summaries", load: () => import("./commands/demo.js") },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `usage: pulse <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nglobal options: --home DIR (state; default $PULSE_HOME or ./.pulse), --project DIR (Dataform project; default .)\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`pulse: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.main(rest);
}

// `pulse query ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // User errors (bad flags, bad project, bad input) get one clear line; anything else is a bug and keeps its stack.
    if (error instanceof UserError) {
      process.stderr.write(`pulse: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`pulse: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
