import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The parts of `dataform compile --json` these tests read. */
export interface CompiledAction {
  target: { database?: string; schema: string; name: string };
  type?: string;
  enumType?: string;
  fileName?: string;
  tags?: string[];
  query?: string;
  incrementalQuery?: string;
  preOps?: string[];
  postOps?: string[];
  incrementalPreOps?: string[];
  incrementalPostOps?: string[];
  queries?: string[];
  uniqueKey?: string[];
  dependencyTargets?: { database?: string; schema: string; name: string }[];
}
export interface OfficialGraph {
  projectConfig?: { defaultDatabase?: string; schemaSuffix?: string; tablePrefix?: string; vars?: Record<string, string> };
  graphErrors?: { compilationErrors?: { fileName?: string; message: string }[] };
  tables?: CompiledAction[];
  assertions?: CompiledAction[];
  operations?: CompiledAction[];
  declarations?: CompiledAction[];
  tests?: { name: string; fileName?: string; testQuery?: string; expectedOutputQuery?: string }[];
}

/** Compiles the project with the official Dataform CLI (the devDependency), offline, BigQuery flavour; `flags` as `dataform compile` takes them. */
export async function officialCompile(flags: string[] = [], projectDir = projectRoot): Promise<OfficialGraph> {
  const cli = fileURLToPath(new URL("../../node_modules/.bin/dataform", import.meta.url));
  const { stdout } = await promisify(execFile)(cli, ["compile", "--json", ...flags], { cwd: projectDir, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as OfficialGraph;
}

export const actionName = (a: CompiledAction) => `${a.target.schema}.${a.target.name}`;
