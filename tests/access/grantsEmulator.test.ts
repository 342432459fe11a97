import { spawnSync } from "node:child_process";
import path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadAccessPolicy } from "../../access/policyFile.js";
import { avoidMetadataServerProbe } from "../../lib/googleAuth.js";
import { BIGQUERY_EMULATOR_PROJECT } from "../../services/bigqueryEmulator.js";
import { startPrivateEmulator, type PrivateEmulator } from "../bigquery/privateEmulator.js";
import { REPO } from "../runner/helpers.js";

// The emulator (goccy 0.8.1) accepts GRANT without effect and refuses row access policies, but keeps policy tags in
// table schemas: so this checks the CLI end to end and the tags; grants.test.ts checks the statements themselves.
let emulator: PrivateEmulator;
beforeAll(async () => {
  emulator = await startPrivateEmulator();
  avoidMetadataServerProbe();
});
afterAll(async () => emulator?.stop());

function pulse(...args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO, "dist", "cli", "main.js"), ...args], { cwd: REPO, env: { ...process.env, BIGQUERY_EMULATOR_HOST: emulator.host }, encoding: "utf8" });
}

it("pulse grants apply tags the PII columns of the tables that exist, and stops at a statement BigQuery refuses", async () => {
  expect(pulse("bigquery", "init", "--gcp-project", BIGQUERY_EMULATOR_PROJECT).status).toBe(0);
  const dev = pulse("grants", "apply", "--env", "dev", "--warehouse", "bigquery", "--gcp-project", BIGQUERY_EMULATOR_PROJECT);
  expect(dev.stderr).toBe("");
  expect(dev.status).toBe(0);
  expect(dev.stdout).toMatch(/^grants apply --env dev: \d+ statement\(s\) applied; policy tags set on 4 table\(s\)\n/);
  expect(dev.stdout).toContain(`not yet on BigQuery (run, then apply again): ${BIGQUERY_EMULATOR_PROJECT}.silver.user_profile`);

  const tags = loadAccessPolicy(REPO).environments.dev!.policy_tags;
  const bigquery = new BigQuery({ projectId: BIGQUERY_EMULATOR_PROJECT, apiEndpoint: emulator.host });
  const [metadata] = await bigquery.dataset("bronze").table("registered_users").getMetadata();
  const fields = metadata.schema.fields as { name: string; policyTags?: { names: string[] } }[];
  expect(fields.find((f) => f.name === "mac_address")?.policyTags).toEqual({ names: [tags.hash] });
  expect(fields.find((f) => f.name === "user_id")?.policyTags).toBeUndefined();

  const prod = pulse("grants", "apply", "--env", "prod", "--warehouse", "bigquery", "--gcp-project", BIGQUERY_EMULATOR_PROJECT);
  expect(prod.status).toBe(1);
  expect(prod.stderr).toContain("grants apply: BigQuery refused\n  CREATE OR REPLACE ROW ACCESS POLICY analysts_known_state ON");
});
