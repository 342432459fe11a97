import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { cacheRoot } from "../../services/paths.js";
import { runMaven, type Log } from "../../services/kafka.js";

/** The Java program that wraps ZetaSQL (tools/zetasql-check), found from this module in the source tree or in dist/. */
function toolSourceDir(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "tools", "zetasql-check");
    if (fs.existsSync(path.join(candidate, "pom.xml"))) return candidate;
    if (path.dirname(dir) === dir) throw new Error("tools/zetasql-check/pom.xml not found above " + fileURLToPath(import.meta.url));
  }
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && (e.name === "pom.xml" || e.name.endsWith(".java")))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !f.includes(`${path.sep}target${path.sep}`))
    .sort();
}

export interface ZetaSqlTool {
  /** The java command line's class path (compiled classes first, then the Maven dependencies). */
  classPath: string;
}

/**
 * Compiles tools/zetasql-check once per source hash into `~/.cache/pulse/zetasql-check-<hash>/` and records the
 * dependency class path Maven resolved (jars stay in ~/.m2). The folder appears by rename only after Maven
 * succeeded, so an interrupted first build is simply redone.
 */
export async function ensureZetaSqlTool(log: Log): Promise<ZetaSqlTool> {
  const source = toolSourceDir();
  const hash = createHash("sha256");
  for (const file of sourceFiles(source)) hash.update(path.relative(source, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  const root = path.join(cacheRoot(), `zetasql-check-${hash.digest("hex").slice(0, 16)}`);
  const built = readBuilt(root);
  if (built) return built;

  const staging = `${root}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(source, staging, { recursive: true, filter: (f) => path.basename(f) !== "target" });
  log(`zetasql-check: first use, building the ZetaSQL analyzer with Maven into ${root} (a few minutes on a fresh machine)`);
  const started = Date.now();
  await runMaven(["-B", "-f", path.join(staging, "pom.xml"), "compile", "dependency:build-classpath", "-Dmdep.includeScope=runtime", `-Dmdep.outputFile=${path.join(staging, "classpath.txt")}`], log);
  // Another process may have finished the same build meanwhile (its JVMs use it): keep that one.
  if (readBuilt(root)) fs.rmSync(staging, { recursive: true, force: true });
  else {
    fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(staging, root);
  }
  const result = readBuilt(root);
  if (!result) throw new Error(`maven finished but ${root} has no classes or class path`);
  log(`zetasql-check: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return result;
}

function readBuilt(root: string): ZetaSqlTool | undefined {
  const classes = path.join(root, "target", "classes");
  const listFile = path.join(root, "classpath.txt");
  if (!fs.existsSync(classes) || !fs.existsSync(listFile)) return undefined;
  const jars = fs.readFileSync(listFile, "utf8").trim().split(path.delimiter);
  // A cleaned ~/.m2 takes the jars away: build again.
  if (!jars.every((jar) => fs.existsSync(jar))) return undefined;
  return { classPath: [classes, ...jars].join(path.delimiter) };
}

export interface CatalogColumn {
  name: string;
  type: string;
}

export interface CatalogTable {
  /** `project.dataset.table` */
  name: string;
  columns: CatalogColumn[];
}

/** A script analysed in order; `isolated` units see the catalog but leave it unchanged; `after` units must have passed. */
export interface AnalysisUnit {
  id: string;
  statements: string[];
  isolated: boolean;
  after: string[];
}

const columnSchema = z.object({ name: z.string(), type: z.string() });
const resultSchema = z.object({
  id: z.string(),
  status: z.enum(["ok", "error", "skipped"]),
  statement: z.number().int().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  message: z.string().optional(),
  created: z.array(z.object({ name: z.string(), columns: z.array(columnSchema) })),
});
const responseSchema = z.object({ error: z.string().optional(), results: z.array(resultSchema).optional() });
export type UnitResult = z.infer<typeof resultSchema>;

/** One JVM for a whole check: JSON lines in, JSON lines out (see Main.java). */
export class ZetaSqlAnalyzer {
  private readonly lines: AsyncIterator<string>;
  private readonly stderr: string[] = [];
  /** Rejects when the JVM cannot start or ends while a request waits. */
  private readonly exited: Promise<never>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    this.exited = new Promise<never>((_, reject) => {
      child.once("error", (error) => reject(new Error(`could not run java (is a JDK 17 installed?): ${error.message}`)));
      child.once("exit", (code) => reject(new Error(`zetasql-check exited with code ${code}:\n${this.stderr.join("").slice(-3000)}`)));
    });
    this.exited.catch(() => {});
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr.push(chunk.toString("utf8"));
      if (this.stderr.length > 50) this.stderr.shift();
    });
  }

  static start(tool: ZetaSqlTool): ZetaSqlAnalyzer {
    // Serial GC and C1 only: the JVM lives for seconds, and C2 compiling on the shared two cores only slowed it.
    const child = spawn("java", ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", tool.classPath, "pulse.zetasqlcheck.Main"], { stdio: ["pipe", "pipe", "pipe"] });
    return new ZetaSqlAnalyzer(child);
  }

  private async request(body: object): Promise<UnitResult[]> {
    this.child.stdin.write(`${JSON.stringify(body)}\n`);
    const next = await Promise.race([this.lines.next(), this.exited]);
    if (next.done) throw new Error(`zetasql-check closed its output:\n${this.stderr.join("").slice(-3000)}`);
    const response = responseSchema.parse(JSON.parse(next.value));
    if (response.error) throw new Error(`zetasql-check: ${response.error}\n${this.stderr.join("").slice(-3000)}`);
    return response.results ?? [];
  }

  /** Starts a fresh catalog holding the declared tables. */
  async declare(projectId: string, tables: CatalogTable[]): Promise<void> {
    await this.request({ op: "declare", projectId, tables });
  }

  async analyze(units: AnalysisUnit[]): Promise<UnitResult[]> {
    return this.request({ op: "analyze", units });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await exited;
  }
}
