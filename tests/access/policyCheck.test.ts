import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { pulse, REPO } from "../runner/helpers.js";

const BROKEN = path.join(REPO, "tests", "fixtures", "policy-broken");

it("pulse policy check passes on the project", async () => {
  const result = await pulse(["policy", "check"]);
  expect(result.stderr).toBe("");
  expect(result.stdout).toBe("policy check: no violations.\n");
  expect(result.code).toBe(0);
});

it("names file, column and rule of every violation in a broken project, and exits 1", async () => {
  const result = await pulse(["policy", "check", "--project", BROKEN]);
  expect(result.code).toBe(1);
  expect(result.stdout.trim().split("\n")).toEqual([
    "definitions/silver/people.sqlx: silver.people.nickname: [unknown-policy-tag] policy tag projects/elsewhere/locations/us/taxonomies/9/policyTags/9 is neither var pii_policy_tag_hash nor pii_policy_tag_null: pulse cannot tell how to mask it",
    "definitions/gold/people_by_city.sqlx: gold.people_by_city.name: [pii-reaches-gold-unmasked] copies PII column silver.people.name but has no bigqueryPolicyTags: tag it (includes/pii.js) or mask it in the SQL",
    "definitions/gold/people_by_city.sqlx: gold.people_by_city: [table-owner-and-class] no access class: declare one in access.yaml under tables.layers.gold or tables.overrides.gold.people_by_city",
    "definitions/scratch/tmp.sqlx: scratch.tmp: [table-owner-and-class] no owner and no access class: declare one in access.yaml under tables.layers.scratch or tables.overrides.scratch.tmp",
    "access.yaml: environments.dev.access.analyst.read: [bronze-read-only-by-engineers-and-ingest] analyst reads bronze.people: only data_engineer and ingest_service may read bronze",
    "access.yaml: environments.prod.principals.data_engineer: [prod-not-writable-from-dev] group:engineers@example.com writes prod (data_engineer) but is not a service account",
    "access.yaml: environments.prod.principals.ingest_service: [prod-not-writable-from-dev] serviceAccount:ingest@fixture.iam.gserviceaccount.com writes prod (ingest_service) but is also a principal of dev",
    "policy check: 7 violation(s).",
  ]);
});

it("follows the device MAC from bronze through silver into gold.gym_summary: without its tag there, the check fails", async () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-policy-"));
  try {
    for (const entry of ["definitions", "includes", "workflow_settings.yaml", "access.yaml"]) fs.cpSync(path.join(REPO, entry), path.join(project, entry), { recursive: true });
    const file = path.join(project, "definitions", "gold", "gym_summary.sqlx");
    const source = fs.readFileSync(file, "utf8");
    const untagged = source.replace(/mac_address: \{ description: ("[^"]*"), bigqueryPolicyTags: \[pii\.hash\] \}/, "mac_address: $1");
    expect(untagged).not.toBe(source);
    fs.writeFileSync(file, untagged);
    const result = await pulse(["policy", "check", "--project", project]);
    expect(result.code).toBe(1);
    // It joins silver.users and silver.gym_logs on the MAC: either is the column's source.
    expect(result.stdout).toMatch(
      /^definitions\/gold\/gym_summary\.sqlx: gold\.gym_summary\.mac_address: \[pii-reaches-gold-unmasked\] copies PII column silver\.(users|gym_logs)\.mac_address but has no bigqueryPolicyTags/,
    );
    expect(result.stdout).toContain("policy check: 1 violation(s).");
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});
