import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { applyGrants, type GrantsClient } from "../../access/applyGrants.js";
import { bigQueryGraphFor } from "../../access/environmentGraph.js";
import { grantsPlan } from "../../access/grantsPlan.js";
import { loadAccessPolicy } from "../../access/policyFile.js";
import { bronzeColumns, BRONZE_TABLE_NAMES } from "../../lake/bronzeTables.js";
import { ensureZetaSqlTool, ZetaSqlAnalyzer } from "../../runner/check/zetasqlTool.js";
import { pulse, REPO } from "../runner/helpers.js";

// Pins the DCL `pulse grants plan --env prod` prints, so a change to who may read what in production shows up in
// review as a diff of this file. Rewrite it with UPDATE_GOLDEN=1.
const goldenPath = fileURLToPath(new URL("./__golden__/grants-prod.sql", import.meta.url));

describe("pulse grants plan", () => {
  it("prints prod's DCL as the golden file has it", async () => {
    const result = await pulse(["grants", "plan", "--env", "prod", "--gcp-project", "pulse-prod"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    if (process.env.UPDATE_GOLDEN === "1") await writeFile(goldenPath, result.stdout);
    const golden = await readFile(goldenPath, "utf8").catch(() => {
      throw new Error(`${goldenPath} is missing: run UPDATE_GOLDEN=1 npx vitest run tests/access/grants.test.ts`);
    });
    expect(result.stdout).toBe(golden);
  });

  it("binds PII to the environment's own policy tags", async () => {
    const policy = loadAccessPolicy(REPO);
    for (const env of ["dev", "prod"]) {
      const plan = grantsPlan(policy, env, bigQueryGraphFor(REPO, policy, env));
      const tags = policy.environments[env]!.policy_tags;
      expect(plan.policyTags.find((t) => t.table.endsWith("silver.user_profile") && t.column === "dob")?.policyTag).toBe(tags.null);
      expect(plan.policyTags.find((t) => t.table.endsWith("silver.user_profile") && t.column === "first_name")?.policyTag).toBe(tags.hash);
    }
  });

  it("names the environments access.yaml declares for an unknown one", async () => {
    const result = await pulse(["grants", "plan", "--env", "staging"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/access\.yaml: environments: no environment 'staging' \(allowed: dev, qa, prod\)/);
  });
});

describe("the DCL under ZetaSQL's BigQuery analysis", () => {
  beforeAll(async () => {
    await ensureZetaSqlTool((line) => process.stderr.write(`${line}\n`));
  }, 900_000);

  it("analyses every statement of every environment cleanly, and fails a row filter on a column the table lacks", async () => {
    const policy = loadAccessPolicy(REPO);
    const analyzer = ZetaSqlAnalyzer.start(await ensureZetaSqlTool(() => undefined));
    try {
      for (const env of Object.keys(policy.environments)) {
        const plan = grantsPlan(policy, env, bigQueryGraphFor(REPO, policy, env, "pulse-prod"));
        // Row access policies resolve their filter against the table: declare the tables they name with real columns.
        const summary = {
          name: "pulse-prod.gold.workout_bpm_summary",
          columns: ["user_id", "age", "gender", "city", "state"].map((name) => ({ name, type: name === "user_id" ? "INT64" : "STRING" })),
        };
        const bronze = BRONZE_TABLE_NAMES.map((t) => ({ name: `pulse-prod.bronze.${t}`, columns: bronzeColumns(t).map((c) => ({ name: c.name, type: c.bigqueryType })) }));
        await analyzer.declare("pulse-prod", [summary, ...bronze]);
        const results = await analyzer.analyze(plan.statements.map((sql, index) => ({ id: String(index), statements: [sql], isolated: true, after: [] })));
        expect(plan.statements.length).toBeGreaterThan(5);
        expect(results.filter((r) => r.status !== "ok").map((r) => `${plan.statements[Number(r.id)]}: ${r.message}`)).toEqual([]);
      }
      const broken = await analyzer.analyze([
        {
          id: "bad",
          statements: ['CREATE OR REPLACE ROW ACCESS POLICY p ON `pulse-prod.gold.workout_bpm_summary` GRANT TO ("group:a@example.com") FILTER USING (no_such_column = 1)'],
          isolated: true,
          after: [],
        },
      ]);
      expect(broken[0]!.status).toBe("error");
      expect(broken[0]!.message).toMatch(/no_such_column/);
    } finally {
      await analyzer.close();
    }
  }, 300_000);
});

/** A recording client at the boundary applyGrants talks to (the emulator answers GRANT without checking anything and refuses row access policies). */
function recordingClient(existing: Record<string, { name: string; type: string }[]>) {
  const queries: string[] = [];
  const patched = new Map<string, { name: string; type: string; policyTags?: { names: string[] } }[]>();
  const client: GrantsClient = {
    createQueryJob: async ({ query }) => {
      queries.push(query);
      if (query.includes("refuse_me")) throw new Error("Access Denied");
      return [{ getQueryResults: async () => [[]] }];
    },
    dataset: (dataset, options) => ({
      table: (name) => {
        const key = `${options?.projectId}.${dataset}.${name}`;
        return {
          getMetadata: async () => {
            if (!existing[key]) throw Object.assign(new Error("Not found"), { code: 404 });
            return [{ schema: { fields: existing[key] } }];
          },
          setMetadata: async (metadata) => void patched.set(key, metadata.schema.fields as never),
        };
      },
    }),
  };
  return { client, queries, patched };
}

describe("pulse grants apply (through the client boundary)", () => {
  it("runs the statements in order, then tags the PII columns in each existing table's schema", async () => {
    const policy = loadAccessPolicy(REPO);
    const plan = grantsPlan(policy, "prod", bigQueryGraphFor(REPO, policy, "prod", "pulse-prod"));
    const profile = ["user_id", "dob", "first_name", "city"].map((name) => ({ name, type: "STRING" }));
    const { client, queries, patched } = recordingClient({ "pulse-prod.silver.user_profile": profile });
    const report = await applyGrants(plan, client);
    expect(queries).toEqual(plan.statements);
    expect(report.tagged).toEqual(["pulse-prod.silver.user_profile"]);
    expect(report.missing).toContain("pulse-prod.gold.gym_summary");
    const tags = policy.environments.prod!.policy_tags;
    expect(patched.get("pulse-prod.silver.user_profile")).toEqual([
      { name: "user_id", type: "STRING" },
      { name: "dob", type: "STRING", policyTags: { names: [tags.null] } },
      { name: "first_name", type: "STRING", policyTags: { names: [tags.hash] } },
      { name: "city", type: "STRING" },
    ]);
  });

  it("stops at the first statement BigQuery refuses, naming it", async () => {
    const { client, queries } = recordingClient({});
    const plan = { environment: "prod", statements: ["GRANT a", "GRANT refuse_me", "GRANT c"], policyTags: [], notOnBigQuery: [] };
    await expect(applyGrants(plan, client)).rejects.toThrow(/BigQuery refused\n {2}GRANT refuse_me\nAccess Denied/);
    expect(queries).toEqual(["GRANT a", "GRANT refuse_me"]);
  });
});
