import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { locateCoreBundle, sourceDigest, wrapCommonJs } from "../../runner/compile/coreLoader.js";
import { FIXTURE, REPO, tempDir } from "../runner/helpers.js";

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/**
 * Cached code an attacker would plant: V8 accepts a code cache built from any source of the same length as
 * the real one, so this runs instead of @dataform/core if pulse loads it.
 */
function poisonedCache(digest: Buffer): Buffer {
  const real = wrapCommonJs(fs.readFileSync(locateCoreBundle(FIXTURE), "utf8"));
  const evil = "(function () { throw new Error('PWNED by a planted compile cache') })".padEnd(real.length, " ");
  return Buffer.concat([digest, new vm.Script(evil).createCachedData()]);
}

function realDigest(): Buffer {
  return sourceDigest(wrapCommonJs(fs.readFileSync(locateCoreBundle(FIXTURE), "utf8")));
}

/** `pulse compile` in a child process whose per-user cache root is `cacheHome`. */
function compile(cacheHome: string) {
  const result = spawnSync(process.execPath, [path.join(REPO, "dist", "cli", "main.js"), "compile", "--project", FIXTURE], {
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    encoding: "utf8",
  });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function plant(cacheHome: string, contents: Buffer, dirMode = 0o700): string {
  const dir = path.join(cacheHome, "pulse", "compile-cache");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, dirMode);
  const file = path.join(dir, `${realDigest().toString("hex")}.v8`);
  fs.writeFileSync(file, contents, { mode: 0o600 });
  return dir;
}

describe("the compile cache cannot run someone else's code", () => {
  it.runIf(isRoot)("refuses a cache folder another user created first (as root: the folder belongs to uid 65534)", () => {
    const cacheHome = tempDir();
    const dir = plant(cacheHome, poisonedCache(realDigest()));
    for (const entry of [dir, ...fs.readdirSync(dir).map((f) => path.join(dir, f))]) fs.chownSync(entry, NOBODY, NOBODY);
    const result = compile(cacheHome);
    expect(result.output).not.toContain("PWNED");
    expect(result.code).toBe(0);
  });

  it("refuses a cache folder others can write to", () => {
    const cacheHome = tempDir();
    plant(cacheHome, poisonedCache(realDigest()), 0o777);
    const result = compile(cacheHome);
    expect(result.output).not.toContain("PWNED");
    expect(result.code).toBe(0);
  });

  it("refuses a cache folder that is a link to a folder of someone else's", () => {
    const cacheHome = tempDir();
    const elsewhere = tempDir();
    const dir = plant(elsewhere, poisonedCache(realDigest()));
    fs.mkdirSync(path.join(cacheHome, "pulse"), { recursive: true });
    fs.symlinkSync(dir, path.join(cacheHome, "pulse", "compile-cache"));
    const result = compile(cacheHome);
    expect(result.output).not.toContain("PWNED");
    expect(result.code).toBe(0);
  });

  it("never loads a cache built from other source, even from its own private folder", () => {
    const cacheHome = tempDir();
    const otherSource = sourceDigest("(function () {})");
    plant(cacheHome, poisonedCache(otherSource));
    const result = compile(cacheHome);
    expect(result.output).not.toContain("PWNED");
    expect(result.code).toBe(0);
  });

  it("keeps its own cache in a 0700 folder, files 0600, named by the source's hash", () => {
    const cacheHome = tempDir();
    expect(compile(cacheHome).code).toBe(0);
    const dir = path.join(cacheHome, "pulse", "compile-cache");
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const file = path.join(dir, `${realDigest().toString("hex")}.v8`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file).subarray(0, 32).equals(realDigest())).toBe(true);
    expect(compile(cacheHome).code).toBe(0);
  });
});
