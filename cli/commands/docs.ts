import path from "node:path";
import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { UserError } from "../../lib/errors.js";
import { compileFor } from "../../runner/runProject.js";
import { ServeModel } from "../../serve/app.js";
import { buildDocs } from "../../serve/docsBuild.js";

const USAGE = `usage: pulse docs build --out DIR

Writes the data docs (every table: description, columns, lineage, assertions, SQL) and the pipeline DAG with
the latest results as a static site into DIR (open DIR/index.html).`;

const Flags = z.object({ out: z.string().min(1).optional(), help: z.boolean().optional() });

export async function main(argv: string[]): Promise<number> {
  const { flags, positionals, projectDir, home } = parseCommandArgs("docs", argv, { out: { type: "string" } }, Flags, { allowPositionals: true });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "build") throw new UserError(`docs: expected 'docs build --out DIR'\n${USAGE}`);
  if (!flags.out) throw new UserError(`docs build: --out DIR is required\n${USAGE}`);
  const out = path.resolve(flags.out);
  const written = await buildDocs(new ServeModel(compileFor("duckdb", projectDir, {}), projectDir, home), out);
  process.stdout.write(`wrote ${written.length} files to ${out}; open ${path.join(out, "index.html")}\n`);
  return 0;
}
