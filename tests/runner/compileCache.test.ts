import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileIdentity, compileProject } from "../../runner/compile/compile.js";
import { cachedCompile } from "../../runner/compile/graphCache.js";
import { compileFor } from "../../runner/runProject.js";
import { FIXTURE, tempDir } from "./helpers.js";

describe("compile reuse in long-running loops", () => {
  it("reuses the graph while the project is unchanged and recompiles when a source file or var changes", () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    const first = compileFor("duckdb", project, {});
    expect(compileFor("duckdb", project, {})).toBe(first);
    expect(compileFor("duckdb", project, { batch: "2" })).not.toBe(first);

    const definition = path.join(project, "definitions", "added_for_cache_test.sqlx");
    fs.writeFileSync(definition, 'config { type: "view" }\nselect 1 as x\n');
    const changed = compileFor("duckdb", project, {});
    expect(changed).not.toBe(first);
    expect((changed.tables ?? []).some((t) => t.target.name === "added_for_cache_test")).toBe(true);
  });
});

describe("compiled graphs kept across processes", () => {
  let cacheHome: string;
  const previous = process.env.XDG_CACHE_HOME;
  beforeEach(() => {
    cacheHome = tempDir();
    process.env.XDG_CACHE_HOME = cacheHome;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = previous;
  });

  /** What a new process does: cachedCompile with the real compiler, counting the compiles it needed. */
  function compiler(project: string, vars: Record<string, string> = {}) {
    let compiles = 0;
    const compile = () =>
      cachedCompile(compileIdentity("duckdb", project, vars, {}), () => {
        compiles++;
        const { graph, inputFiles, readClock } = compileProject(project, { vars: { ...vars, pulse_warehouse: "duckdb" } });
        return { graph, inputFiles, readClock };
      });
    return { compile, compiles: () => compiles };
  }

  function queryOf(graph: ReturnType<typeof compileProject>["graph"], name: string): string | undefined {
    return (graph.tables ?? []).find((t) => t.target.name === name)?.query;
  }

  it("compiles once, then serves the same graph until a file's content, the file list or a var changes", () => {
    const project = path.join(tempDir(), "project");
    fs.cpSync(FIXTURE, project, { recursive: true });
    const c = compiler(project);
    const first = c.compile();
    expect(c.compiles()).toBe(1);
    expect(c.compile()).toEqual(first);
    expect(c.compiles()).toBe(1);

    // The same size and modification time: only the content tells the edit apart.
    const names = path.join(project, "definitions", "core", "user_names.sqlx");
    const stat = fs.statSync(names);
    const text = fs.readFileSync(names, "utf8");
    const edited = text.replace("l.last_amount", "l.LAST_AMOUNT");
    expect(edited).not.toBe(text);
    expect(edited.length).toBe(text.length);
    fs.writeFileSync(names, edited);
    fs.utimesSync(names, stat.atime, stat.mtime);
    const afterEdit = c.compile();
    expect(c.compiles()).toBe(2);
    expect(queryOf(afterEdit, "user_names")).toContain("l.LAST_AMOUNT");

    // An include is read by every definition that uses it.
    fs.appendFileSync(path.join(project, "includes", "fx.js"), "\n// edited\n");
    c.compile();
    expect(c.compiles()).toBe(3);

    fs.writeFileSync(path.join(project, "definitions", "added.sqlx"), 'config { type: "view" }\nselect 1 as x\n');
    expect((c.compile().tables ?? []).some((t) => t.target.name === "added")).toBe(true);
    expect(c.compiles()).toBe(4);
    c.compile();
    expect(c.compiles()).toBe(4);

    const other = compiler(project, { batch: "2" });
    other.compile();
    expect(other.compiles()).toBe(1);
  });

  it("does not keep a graph whose compile read the clock or a random number", () => {
    for (const [name, read] of [
      ["date", "new Date().getUTCFullYear()"],
      ["now", "Date.now()"],
      ["random", "Math.floor(Math.random() * 1)"],
    ]) {
      const project = path.join(tempDir(), `project-${name}`);
      fs.cpSync(FIXTURE, project, { recursive: true });
      fs.writeFileSync(path.join(project, "definitions", "clock.sqlx"), `config { type: "view" }\nselect \${${read}} as x\n`);
      const c = compiler(project);
      c.compile();
      c.compile();
      expect(c.compiles(), name).toBe(2);
    }
    // A date built from a given time reads no clock: that graph is kept.
    const project = path.join(tempDir(), "project-fixed-date");
    fs.cpSync(FIXTURE, project, { recursive: true });
    fs.writeFileSync(path.join(project, "definitions", "fixed.sqlx"), `config { type: "view" }\nselect \${new Date(0).getUTCFullYear()} as x\n`);
    const c = compiler(project);
    expect(queryOf(c.compile(), "fixed")).toContain("1970");
    c.compile();
    expect(c.compiles()).toBe(1);
  });
});
