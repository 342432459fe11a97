import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../lib/errors.js";
import { CompileSandbox, locateCoreBundle, saveCoreCodeCache } from "./coreLoader.js";
import { encodeCompileRequest } from "./request.js";
import type { CompiledGraph } from "./graph.js";

/** Overrides of workflow_settings.yaml, as `dataform compile` takes them on its command line. */
export interface ProjectConfigOverride {
  vars?: Record<string, string>;
  defaultDatabase?: string;
  defaultSchema?: string;
  assertionSchema?: string;
  schemaSuffix?: string;
  tablePrefix?: string;
  defaultLocation?: string;
}

/**
 * The official CLI's flags (`dataform compile|run <flags>`) for the overrides an environment sets: its BigQuery
 * mapping and vars.
 */
export function officialOverrideFlags(override: Pick<ProjectConfigOverride, "vars" | "defaultDatabase" | "schemaSuffix" | "tablePrefix">): string[] {
  const flags: string[] = [];
  if (override.defaultDatabase) flags.push(`--default-database=${override.defaultDatabase}`);
  if (override.schemaSuffix) flags.push(`--schema-suffix=${override.schemaSuffix}`);
  if (override.tablePrefix) flags.push(`--table-prefix=${override.tablePrefix}`);
  const vars = Object.entries(override.vars ?? {});
  if (vars.length > 0) flags.push(`--vars=${vars.map(([k, v]) => `${k}=${v}`).join(",")}`);
  return flags;
}

/** The official CLI gives a compile 60 s (`dataform compile --timeout`); so does pulse. */
const DEFAULT_COMPILE_TIMEOUT_MS = 60_000;

/** `PULSE_COMPILE_TIMEOUT` (seconds) overrides the default; checked by hand, as compile does not load zod. */
function compileTimeoutMs(): number {
  const text = process.env.PULSE_COMPILE_TIMEOUT;
  if (text === undefined || text === "") return DEFAULT_COMPILE_TIMEOUT_MS;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0)) throw new UserError(`PULSE_COMPILE_TIMEOUT: expected a number of seconds above 0, got '${text}'`);
  return seconds * 1000;
}

export interface CompileOptions {
  /** How long the project's code may run; default PULSE_COMPILE_TIMEOUT seconds, else 60 s. */
  timeoutMs?: number;
  /**
   * Called with core's session after compiling, while its action builders still exist. pulse uses it to
   * render unit tests of incremental tables, which core itself refuses to compile.
   */
  inspectSession?: (session: unknown) => void;
}

export interface CompileResult {
  graph: CompiledGraph;
  /** The protobuf message itself: JSON.stringify of it is exactly what `dataform compile --json` prints. */
  message: unknown;
  coreVersion: string;
  elapsedMs: number;
  /** Every file of the project the compile read (settings, definitions, includes, required packages). */
  inputFiles: string[];
  /** Whether the project's code read the clock or Math.random: another compile may give another graph. */
  readClock: boolean;
}

/** The files core is told about; it only reads definitions/ and includes/, so nothing else is listed. */
export function listProjectFiles(projectDir: string): string[] {
  const files: string[] = [];
  for (const top of ["definitions", "includes"]) {
    const walk = (relative: string) => {
      for (const entry of fs.readdirSync(path.join(projectDir, relative), { withFileTypes: true })) {
        const child = path.join(relative, entry.name);
        if (entry.isDirectory()) walk(child);
        else if (entry.name.includes(".")) files.push(child);
      }
    };
    if (fs.existsSync(path.join(projectDir, top))) walk(top);
  }
  return files.sort();
}

/**
 * Identifies the project's sources as they are on disk now (names, sizes, modification times of the
 * settings, definitions/ and includes/): equal signatures compile to equal graphs.
 */
export function projectSignature(projectDir: string): string {
  const files = ["workflow_settings.yaml", "dataform.json", ...listProjectFiles(projectDir)];
  return files
    .map((file) => {
      try {
        const stat = fs.statSync(path.join(projectDir, file));
        return `${file}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return `${file}:-`;
      }
    })
    .join("|");
}

/** The project's folder, resolved: a missing one is the user's error. */
function projectRoot(projectDirInput: string): string {
  if (!fs.existsSync(projectDirInput) || !fs.statSync(projectDirInput).isDirectory()) {
    throw new UserError(`project directory not found: ${projectDirInput}`);
  }
  return fs.realpathSync(path.resolve(projectDirInput));
}

/**
 * Compiles a Dataform v3 project in this process with @dataform/core, the way the official CLI's
 * compile worker does, minus the child process and the vm2 sandbox that cost seconds.
 */
export function compileProject(projectDirInput: string, override: ProjectConfigOverride = {}, options: CompileOptions = {}): CompileResult {
  const started = performance.now();
  const projectDir = projectRoot(projectDirInput);
  const settingsPath = path.join(projectDir, "workflow_settings.yaml");
  const hasSettings = fs.existsSync(settingsPath);
  const hasLegacyJson = fs.existsSync(path.join(projectDir, "dataform.json"));
  if (!hasSettings && !hasLegacyJson) {
    throw new UserError(`${projectDir} is not a Dataform project: workflow_settings.yaml not found`);
  }

  const coreBundlePath = locateCoreBundle(projectDir);
  const sandbox = new CompileSandbox(projectDir, coreBundlePath);
  if (hasSettings) {
    try {
      fs.accessSync(settingsPath, fs.constants.R_OK);
      sandbox.setGlobal("workflowSettingsYaml", sandbox.require("./workflow_settings.yaml", projectDir));
    } catch (error) {
      throw new UserError(`workflow_settings.yaml: ${(error as Error).message}`);
    }
  }
  if (hasLegacyJson) sandbox.setGlobal("dataformJson", sandbox.require("./dataform.json", projectDir));

  // The last thing core's main() does is session.compile() and encoding its result as a protobuf response.
  // pulse takes the graph object itself and stops main() there: encoding it, then loading protobufjs to
  // decode it again, cost more than a quarter of a compile.
  const session = (sandbox.core as unknown as { session: { compile(): unknown } }).session;
  const compileGraph = session.compile;
  const graphBuilt = new Error("graph built");
  let message: unknown;
  session.compile = function (this: unknown) {
    message = compileGraph.call(this);
    throw graphBuilt;
  };
  const timeoutMs = options.timeoutMs ?? compileTimeoutMs();
  const request = encodeCompileRequest(projectDir, listProjectFiles(projectDir), override);
  try {
    const finished = sandbox.runWithin(timeoutMs, () => sandbox.core.main(request));
    if (!finished) {
      throw new UserError(
        `compile of the project ${projectDir} did not finish within ${timeoutMs / 1000} s: is there an endless loop in includes/ or definitions/? ` +
          `(PULSE_COMPILE_TIMEOUT=<seconds> gives it longer)`,
        1,
      );
    }
  } catch (error) {
    // Core throws (rather than reporting a graph error) for broken workflow settings.
    if (error instanceof UserError) throw error;
    if (error !== graphBuilt) throw new UserError(`compile failed: ${(error as Error).message}`);
  } finally {
    session.compile = compileGraph;
  }
  options.inspectSession?.(session);
  const graph = JSON.parse(JSON.stringify(message)) as CompiledGraph;
  saveCoreCodeCache();
  return { graph, message, coreVersion: sandbox.core.version, elapsedMs: performance.now() - started, inputFiles: sandbox.loadedFiles(), readClock: sandbox.readClock };
}

/**
 * What decides a compile besides the contents of the files it reads (graphCache.ts checks those): the warehouse,
 * vars and overrides, the project's folder and the names of its source files (a new file is a new action), and the
 * core bundle it compiles with.
 */
export function compileIdentity(warehouse: string, projectDirInput: string, vars: Record<string, string>, override: ProjectConfigOverride): unknown[] {
  const projectDir = projectRoot(projectDirInput);
  const core = locateCoreBundle(projectDir);
  const coreStat = fs.statSync(core);
  return [
    warehouse,
    projectDir,
    vars,
    override,
    listProjectFiles(projectDir),
    ["workflow_settings.yaml", "dataform.json"].filter((f) => fs.existsSync(path.join(projectDir, f))),
    `${core}:${coreStat.size}:${coreStat.mtimeMs}`,
  ];
}
