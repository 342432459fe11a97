import { execFile } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";
import { z } from "zod";
import { UserError } from "../../lib/errors.js";
import type { Column } from "../adapters/adapter.js";
import { targetName } from "../compile/graph.js";
import { officialOverrideFlags, type ProjectConfigOverride } from "../compile/compile.js";

/**
 * The official CLI (`@dataform/cli` 3.0.69) builds its execution SQL in `build()` → `ExecutionSql.publishTasks`
 * inside its bundle, which exports nothing; `dataform run --dry-run --json` prints exactly that graph, but
 * first asks BigQuery for each target's metadata (`dbadapter.table()`, which decides create vs MERGE and the
 * MERGE's column list). This preload answers those calls from a state file instead of the network, so the
 * CLI's own code renders the SQL offline, without credentials. Nothing else of the client is used before
 * `--dry-run --json` prints and returns.
 */
const CLIENT_STUB = `
const Module = require("node:module");
const fs = require("node:fs");
const state = JSON.parse(fs.readFileSync(process.env.PULSE_DATAFORM_STATE, "utf8"));
class BigQuery {
  constructor(options) { this.projectId = options.projectId; }
  dataset(schema) {
    const projectId = this.projectId;
    return { table: (name) => ({ getMetadata: async () => {
      const m = state[projectId + "." + schema + "." + name];
      if (!m) { const e = new Error("Not found: " + projectId + "." + schema + "." + name); e.code = 404; e.errors = [{ reason: "notFound" }]; throw e; }
      return [{ type: m.type, tableReference: { projectId, datasetId: schema, tableId: name }, schema: { fields: m.fields }, lastModifiedTime: "0" }];
    } }) };
  }
}
const load = Module._load;
Module._load = function (request, ...rest) { return request === "@google-cloud/bigquery" ? { BigQuery } : load.call(this, request, ...rest); };
`;

/** What the warehouse holds before the run, keyed by `project.dataset.table`. */
export type WarehouseState = Map<string, { kind: "table" | "view"; columns: Column[] }>;

const targetSchema = z.object({ database: z.string().optional(), schema: z.string().optional(), name: z.string() });
const executionGraphSchema = z.object({
  actions: z
    .array(
      z.object({
        target: targetSchema,
        fileName: z.string().optional(),
        type: z.string().optional(),
        tasks: z.array(z.object({ type: z.string().optional(), statement: z.string() })).default([]),
      }),
    )
    .default([]),
});

export interface OfficialAction {
  name: string;
  fileName?: string;
  /** Each task's statement, as the CLI sends it (a table's pre-ops, build and post-ops are one script). */
  statements: string[];
}

function officialCliBundle(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve("@dataform/cli/package.json")), "bundle.js");
  } catch {
    throw new UserError("compile --check bigquery: @dataform/cli is not installed (it is a dev dependency: run npm ci)");
  }
}

/** The official CLI's execution actions for a run of the whole graph against `state` (`dataform run --dry-run --json`). */
export async function officialExecutionActions(
  projectDir: string,
  projectId: string,
  vars: Record<string, string>,
  state: WarehouseState,
  override: ProjectConfigOverride = {},
): Promise<OfficialAction[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-dataform-"));
  try {
    const stub = path.join(dir, "bigquery-state-client.cjs");
    const credentials = path.join(dir, "credentials.json");
    const stateFile = path.join(dir, "state.json");
    fs.writeFileSync(stub, CLIENT_STUB);
    fs.writeFileSync(credentials, JSON.stringify({ projectId, location: "US" }));
    const fields = Object.fromEntries([...state].map(([name, r]) => [name, { type: r.kind === "view" ? "VIEW" : "TABLE", fields: r.columns.map((c) => ({ name: c.name, type: c.type })) }]));
    fs.writeFileSync(stateFile, JSON.stringify(fields));
    const args = ["-r", stub, officialCliBundle(), "run", projectDir, "--dry-run", "--json", `--credentials=${credentials}`, ...officialOverrideFlags({ ...override, vars })];
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(process.execPath, args, { env: { ...process.env, PULSE_DATAFORM_STATE: stateFile }, maxBuffer: 256 * 1024 * 1024 }));
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      // The CLI prints its error, then the same with a stack: the first line says it.
      const first = stripVTControlCharacters(e.stderr || e.stdout || e.message)
        .trim()
        .split("\n")[0];
      throw new UserError(`compile --check bigquery: the official dataform CLI could not build its execution SQL for ${projectDir}: ${first}`, 1);
    }
    const graph = executionGraphSchema.parse(JSON.parse(stdout));
    return graph.actions.map((a) => ({ name: targetName(a.target), fileName: a.fileName, statements: a.tasks.map((t) => t.statement) }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
