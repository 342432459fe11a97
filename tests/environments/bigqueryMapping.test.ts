import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../lib/home.js";
import { pulseEnv } from "./cliHarness.js";

const at = ["--project", PACKAGE_ROOT];
const datasets = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("-- dataset "));

describe("an environment's BigQuery mapping on BigQuery commands", () => {
  it("bigquery init creates qa's suffixed datasets in the job project, and prod's in prod's own project; bronze keeps its name", async () => {
    const qa = await pulseEnv(["bigquery", "init", "--dry-run", "--env", "qa", "--gcp-project", "pulse-ci", ...at]);
    expect(qa.code).toBe(0);
    expect(datasets(qa.stdout)).toEqual(["-- dataset pulse-ci.assertions_qa", "-- dataset pulse-ci.bronze", "-- dataset pulse-ci.gold_qa", "-- dataset pulse-ci.silver_qa"]);
    expect(qa.stdout).toContain("CREATE TABLE IF NOT EXISTS `pulse-ci.bronze.kafka_multiplex`");
    // --dry-run only prints: a developer may look at prod's plan.
    const prod = await pulseEnv(["bigquery", "init", "--dry-run", "--env", "prod", "--gcp-project", "pulse-ci", ...at]);
    expect(datasets(prod.stdout)).toEqual(["-- dataset pulse-prod.assertions", "-- dataset pulse-prod.bronze", "-- dataset pulse-prod.gold", "-- dataset pulse-prod.silver"]);
  });

  it("refuses to create prod's datasets from a developer's machine, before connecting", async () => {
    const refused = await pulseEnv(["bigquery", "init", "--env", "prod", "--gcp-project", "pulse-ci", ...at]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("bigquery init in 'prod': refused; 'prod' is not writable from a developer's machine");
    const run = await pulseEnv(["run", "--env", "prod", "--warehouse", "bigquery", "--gcp-project", "pulse-ci", ...at]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("run in 'prod': refused");
  });
});
