import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadEnvironments, officialFlags, resolveEnvironment } from "../../environments/environments.js";
import { assertWritable } from "../../environments/writeGuard.js";
import { PACKAGE_ROOT } from "../../lib/home.js";
import { UserError } from "../../lib/errors.js";

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function projectWith(environmentsYaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-envs-"));
  made.push(dir);
  fs.writeFileSync(path.join(dir, "environments.yaml"), environmentsYaml);
  return dir;
}

function failure(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a UserError");
}

describe("environments.yaml", () => {
  it("declares dev, qa and prod for this project; prod is closed to developer writes", () => {
    const envs = loadEnvironments(PACKAGE_ROOT);
    expect(envs.map((e) => [e.name, e.developerWrites])).toEqual([
      ["dev", true],
      ["qa", true],
      ["prod", false],
    ]);
    expect(officialFlags(resolveEnvironment(PACKAGE_ROOT, "prod"))).toEqual(["--default-database=pulse-prod"]);
    expect(officialFlags(resolveEnvironment(PACKAGE_ROOT, "qa"))).toEqual(["--schema-suffix=qa"]);
  });

  it("gives a project without the file built-in dev, qa and prod", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-envs-"));
    made.push(dir);
    expect(loadEnvironments(dir).map((e) => `${e.name}:${e.source}:${e.developerWrites}`)).toEqual(["dev:built-in:true", "qa:built-in:true", "prod:built-in:false"]);
  });

  it("refuses an unknown environment with exit 2, naming the file and the declared names", () => {
    const error = failure(() => resolveEnvironment(PACKAGE_ROOT, "staging"));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`--env: unknown environment 'staging' (${path.join(PACKAGE_ROOT, "environments.yaml")} declares: dev, qa, prod)`);
  });

  it("refuses a file that does not validate, naming the file, the key and what is allowed", () => {
    const bad = projectWith("environments:\n  dev:\n    developerWrites: yes please\n    bigquery:\n      schemaSufix: x\n  Prod:\n    developerWrites: false\n");
    const error = failure(() => loadEnvironments(bad));
    expect(error.message).toContain(path.join(bad, "environments.yaml"));
    expect(error.message).toContain("environments.dev.developerWrites: Invalid input: expected boolean");
    expect(error.message).toContain('environments.dev.bigquery: Unrecognized key: "schemaSufix"');
    expect(error.message).toMatch(/environments\.Prod: .*lower-case letters/);
    expect(failure(() => loadEnvironments(projectWith("environments:\n  qa:\n    developerWrites: true\n"))).message).toContain("must declare 'dev'");
    expect(failure(() => loadEnvironments(projectWith("environments: [\n"))).message).toContain("not valid YAML");
    expect(failure(() => loadEnvironments(projectWith("environments:\n  dev:\n    developerWrites: true\n    vars:\n      a: 'x,y'\n"))).message).toContain(
      "environments.dev.vars.a: a non-empty value without commas",
    );
    expect(failure(() => loadEnvironments(projectWith("environments:\n  dev:\n    developerWrites: true\n  lake:\n    developerWrites: true\n"))).message).toContain(
      "reserved for the home's own folders",
    );
  });

  it("lets a deploy write prod (PULSE_DEPLOY=prod) and refuses anyone else with exit 1, saying how a deploy is authorised", () => {
    const prod = resolveEnvironment(PACKAGE_ROOT, "prod");
    expect(() => assertWritable(prod, "run", "prod")).not.toThrow();
    expect(() => assertWritable(resolveEnvironment(PACKAGE_ROOT, "dev"), "run", undefined)).not.toThrow();
    for (const deploy of [undefined, "qa", ""]) {
      const error = failure(() => assertWritable(prod, "run", deploy));
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain("run in 'prod': refused; 'prod' is not writable from a developer's machine");
      expect(error.message).toContain("PULSE_DEPLOY=prod");
    }
  });
});
