import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";
import { PACKAGE_ROOT } from "../../lib/home.js";

/** The pieces of @dataform/core that pulse uses; the bundle exports more. */
export interface DataformCore {
  version: string;
  main(request: string): string;
  compiler(code: string, filePath: string): string;
}

/** Where a project's @dataform/core comes from: the project's own node_modules, else pulse's pinned copy. */
export function locateCoreBundle(projectDir: string): string {
  const own = path.join(projectDir, "node_modules", "@dataform", "core", "bundle.js");
  if (fs.existsSync(own)) return own;
  return createRequire(path.join(PACKAGE_ROOT, "package.json")).resolve("@dataform/core/bundle.js");
}

// Parsing the 1 MB core bundle costs more than the whole compile of a small project, so each bundle is
// parsed once per process and then evaluated afresh in a new context for every compile.
const scriptCache = new Map<string, { script: vm.Script; cacheFile: string | undefined; digest: Buffer; cached: boolean }>();

/**
 * The per-user folder for V8's code cache of core bundles: `$XDG_CACHE_HOME/pulse/compile-cache`, else
 * `~/.cache/pulse/compile-cache`. Never a shared temp folder: V8 accepts cached code built from any source of
 * the same length, so whoever can write this folder runs code as whoever compiles next.
 */
function compileCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(base, "pulse", "compile-cache");
}

/** Owned by this user and not writable by anyone else (a folder must be 0700); POSIX only. */
function ownedPrivately(stat: fs.Stats, privateMask: number): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || stat.uid === uid) && (stat.mode & privateMask) === 0;
}

/**
 * The cache folder if it can be trusted: created 0700 when missing, then checked without following a link.
 * A folder that is a link, belongs to another user or is open to others is refused: the cache is skipped.
 */
export function trustedCacheDir(): string | undefined {
  const dir = compileCacheDir();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    return stat.isDirectory() && ownedPrivately(stat, 0o077) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a cache file must start with: the sha256 of the exact source V8 compiles, the Node version and the
 * architecture. The file is named by it too; the check on its contents also refuses a file renamed or
 * written by a process that compiled other source.
 */
export function sourceDigest(wrappedSource: string): Buffer {
  return createHash("sha256").update(`${process.version}\0${process.arch}\0`).update(wrappedSource).digest();
}

/** The cached code for `digest`, read only from a regular file this user owns that no one else can write. */
function readCodeCache(file: string, digest: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || !ownedPrivately(stat, 0o022)) return undefined;
    const data = fs.readFileSync(fd);
    if (data.length <= digest.length || !data.subarray(0, digest.length).equals(digest)) return undefined;
    return data.subarray(digest.length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function coreScript(bundlePath: string): vm.Script {
  let entry = scriptCache.get(bundlePath);
  if (!entry) {
    const wrapped = wrapCommonJs(fs.readFileSync(bundlePath, "utf8"));
    const digest = sourceDigest(wrapped);
    const dir = trustedCacheDir();
    const cacheFile = dir ? path.join(dir, `${digest.toString("hex")}.v8`) : undefined;
    const cachedData = cacheFile ? readCodeCache(cacheFile, digest) : undefined;
    const script = new vm.Script(wrapped, { filename: bundlePath, cachedData });
    // Without a trusted folder there is nowhere to save to: count it as cached.
    entry = { script, cacheFile, digest, cached: !cacheFile || (cachedData !== undefined && !script.cachedDataRejected) };
    scriptCache.set(bundlePath, entry);
  }
  return entry.script;
}

/**
 * Saves V8's code cache of the core bundles this process compiled, once per bundle and Node version.
 * Called after a compile, so the cache also holds the functions that compile ran. Never fails a compile:
 * an unwritable cache folder only means the next process parses the bundle again.
 */
export function saveCoreCodeCache(): void {
  for (const entry of scriptCache.values()) {
    if (entry.cached || !entry.cacheFile) continue;
    entry.cached = true;
    writePrivateFile(entry.cacheFile, Buffer.concat([entry.digest, entry.script.createCachedData()]));
  }
}

/**
 * Writes a cache file readable by its owner only, whole or not at all (a temp file renamed into place), so
 * concurrent processes never read a torn one. Best effort: a cache that cannot be written is only slower.
 */
export function writePrivateFile(file: string, data: string | Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data, { mode: 0o600, flag: "wx" });
    fs.renameSync(temporary, file);
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // Nothing more to do: see above.
    }
  }
}

export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * Makes the context's Date (now, or constructed without a time) and Math.random call `note` before answering:
 * such a compile may give another graph next time. Dates built from a given time are not reads of the clock.
 */
const CLOCK_WATCH = `(note) => {
  const RealDate = Date;
  const random = Math.random;
  globalThis.Date = new Proxy(RealDate, {
    apply(target, self, args) { note(); return Reflect.apply(target, self, args); },
    construct(target, args, newTarget) { if (args.length === 0) note(); return Reflect.construct(target, args, newTarget); },
    get(target, property, receiver) {
      if (property === "now") return () => { note(); return RealDate.now(); };
      return Reflect.get(target, property, receiver);
    },
  });
  Math.random = () => { note(); return random(); };
}`;

const SOURCE_EXTENSIONS = [".js", ".sqlx", ".sql", ".yaml", ".yml", ".json", ".ipynb", ".md"];
/** Files @dataform/core turns into JavaScript before they are evaluated (the official CLI's list). */
const COMPILED_EXTENSIONS = new Set([".js", ".sql", ".sqlx", ".yaml", ".yml"]);
/** Node built-ins a project may require; the official CLI's sandbox allows the same one. */
const ALLOWED_BUILTINS: Record<string, unknown> = { path };

/**
 * A CommonJS module system for one compile, in its own V8 context, with the resolution rules of the
 * official CLI: bare names resolve against the project root (core requires `definitions/x.sqlx`, users
 * require `includes/constants`), relative names against the requiring file, and packages from the
 * project's node_modules. Each evaluated file is pushed on a stack that core reads through
 * `__dataform_current_file` to attribute actions to their file.
 */
export class CompileSandbox {
  readonly context: vm.Context;
  readonly core: DataformCore;
  private readonly cache = new Map<string, { exports: unknown }>();
  private readonly fileStack: string[] = [];
  /** Whether project code read the clock or Math.random (the compile is then not repeatable: graphCache.ts). */
  readClock = false;

  constructor(
    readonly projectDir: string,
    readonly coreBundlePath: string,
  ) {
    const sandbox: Record<string, unknown> = {
      console,
      Buffer,
      TextEncoder,
      TextDecoder,
      URL,
      setTimeout,
      clearTimeout,
      setImmediate,
      clearImmediate,
      queueMicrotask,
      process: { env: {}, version: process.version, versions: process.versions, platform: process.platform, cwd: () => projectDir },
    };
    this.context = vm.createContext(sandbox);
    vm.runInContext("globalThis.global = globalThis;", this.context);
    (vm.runInContext(CLOCK_WATCH, this.context) as (note: () => void) => void)(() => (this.readClock = true));
    Object.defineProperty(sandbox, "__dataform_current_file", {
      configurable: true,
      get: () => this.fileStack[this.fileStack.length - 1] ?? null,
    });
    this.core = this.evaluateCore();
  }

  private evaluateCore(): DataformCore {
    const module = { exports: {} as unknown };
    const fn = coreScript(this.coreBundlePath).runInContext(this.context) as (...args: unknown[]) => void;
    fn(module.exports, this.requireFrom(path.dirname(this.coreBundlePath)), module, this.coreBundlePath, path.dirname(this.coreBundlePath));
    this.cache.set(this.coreBundlePath, module);
    return module.exports as DataformCore;
  }

  /**
   * Runs `task` (which evaluates project code) with V8's execution timeout: a loop in includes/ or a
   * definition is stopped wherever it runs, also inside the files core requires while `task` runs.
   * Returns false when time ran out.
   */
  runWithin(timeoutMs: number, task: () => void): boolean {
    this.setGlobal("__pulse_task", task);
    try {
      vm.runInContext("__pulse_task()", this.context, { timeout: timeoutMs });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return false;
      throw error;
    } finally {
      this.setGlobal("__pulse_task", undefined);
    }
  }

  /** Every project file evaluated or read so far (the core bundle is not one). */
  loadedFiles(): string[] {
    return [...this.cache.keys()].filter((file) => file !== this.coreBundlePath);
  }

  /** Sets a global in the compile context (the CLI sets `workflowSettingsYaml` this way). */
  setGlobal(name: string, value: unknown): void {
    (this.context as Record<string, unknown>)[name] = value;
  }

  requireFrom(fromDir: string): (id: string) => unknown {
    return (id: string) => this.require(id, fromDir);
  }

  require(id: string, fromDir: string): unknown {
    if (id === "@dataform/core") return this.core;
    if (id in ALLOWED_BUILTINS) return ALLOWED_BUILTINS[id];
    const filePath = this.resolve(id, fromDir);
    const cached = this.cache.get(filePath);
    if (cached) return cached.exports;
    return this.load(filePath);
  }

  private resolve(id: string, fromDir: string): string {
    const relative = id.startsWith("./") || id.startsWith("../");
    const base = relative ? path.resolve(fromDir, id) : path.isAbsolute(id) ? id : path.join(this.projectDir, id);
    const found = resolveFile(base);
    if (found) return found;
    if (!relative && !path.isAbsolute(id)) {
      const pkg = resolvePackage(path.join(this.projectDir, "node_modules", id));
      if (pkg) return pkg;
    }
    throw new Error(`Cannot find module '${id}' (looked in ${path.relative(this.projectDir, base) || "."}${relative ? "" : " and node_modules"})`);
  }

  private load(filePath: string): unknown {
    const module = { exports: {} as unknown };
    this.cache.set(filePath, module);
    const extension = path.extname(filePath);
    let source = fs.readFileSync(filePath, "utf8");
    if (extension === ".json") {
      module.exports = JSON.parse(source);
      return module.exports;
    }
    if (COMPILED_EXTENSIONS.has(extension)) source = this.core.compiler(source, filePath);
    const fn = vm.runInContext(wrapCommonJs(source), this.context, { filename: filePath }) as (...args: unknown[]) => void;
    this.fileStack.push(filePath);
    try {
      fn(module.exports, this.requireFrom(path.dirname(filePath)), module, filePath, path.dirname(filePath));
    } catch (error) {
      this.cache.delete(filePath);
      throw error;
    } finally {
      this.fileStack.pop();
    }
    return module.exports;
  }
}

function resolveFile(base: string): string | undefined {
  if (isFile(base)) return base;
  for (const extension of SOURCE_EXTENSIONS) {
    if (isFile(base + extension)) return base + extension;
  }
  const index = path.join(base, "index.js");
  return isFile(index) ? index : undefined;
}

function resolvePackage(dir: string): string | undefined {
  const manifest = path.join(dir, "package.json");
  if (isFile(manifest)) {
    const main = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { main?: string }).main ?? "index.js";
    return resolveFile(path.join(dir, main));
  }
  return resolveFile(dir);
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}
