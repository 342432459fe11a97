import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, expect, it } from "vitest";
import { loadAccessPolicy } from "../../access/policyFile.js";
import { REPO } from "../runner/helpers.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

// The YAML document, edited freely to break it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Document = Record<string, any>;

/** The project's access.yaml, changed by `edit`, in a folder of its own. */
function withPolicy(edit: (policy: Document) => void): string {
  const policy = yaml.load(fs.readFileSync(path.join(REPO, "access.yaml"), "utf8")) as Document;
  edit(policy);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-access-file-"));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, "access.yaml"), yaml.dump(policy));
  return dir;
}

const errorOf = (dir: string) => {
  try {
    loadAccessPolicy(dir);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the policy loaded");
};

it("loads the project's access.yaml", () => {
  const policy = loadAccessPolicy(REPO);
  expect(Object.keys(policy.environments)).toEqual(["dev", "qa", "prod"]);
  expect(policy.roles.analyst.pii).toBe("masked");
});

it("names the file, the key and the allowed values when the policy does not validate", () => {
  const unknownRole = withPolicy((p) => (p.environments.dev.access.intern = { read: ["gold"] }));
  expect(errorOf(unknownRole)).toMatch(/access\.yaml: environments\.dev\.access: Unrecognized key: "intern" \(allowed: data_engineer, analyst, data_scientist, auditor, ingest_service\)/);
  const badClass = withPolicy((p) => (p.tables.layers.gold.class = "secret"));
  expect(errorOf(badClass)).toMatch(/access\.yaml: tables\.layers\.gold\.class: .*\(allowed: public, internal, confidential, restricted\)/);
  const badClearance = withPolicy((p) => (p.roles.analyst.pii = "some"));
  expect(errorOf(badClearance)).toMatch(/access\.yaml: roles\.analyst\.pii: .*\(allowed: clear, masked, hidden\)/);
  const badScope = withPolicy((p) => (p.environments.prod.access.analyst.read = ["gold.*.x"]));
  expect(errorOf(badScope)).toMatch(/access\.yaml: environments\.prod\.access\.analyst\.read\.0: a dataset \(silver\), all its tables \(silver\.\*\) or one table \(silver\.users\)/);
  const missingRole = withPolicy((p) => delete p.roles.auditor);
  expect(errorOf(missingRole)).toMatch(/access\.yaml: roles\.auditor: Invalid input: expected object, received undefined/);
  const badPrincipal = withPolicy((p) => (p.environments.dev.principals.analyst = ["analysts@example.com"]));
  expect(errorOf(badPrincipal)).toMatch(/environments\.dev\.principals\.analyst\.0: user:, group:, serviceAccount: or domain:/);
});
