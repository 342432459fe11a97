import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { z } from "zod";
import { UserError } from "../lib/errors.js";

const WorkflowSettings = z.looseObject({
  defaultProject: z.string().optional(),
  defaultDataset: z.string().optional(),
});

/**
 * Reads the project's workflow_settings.yaml without compiling: enough for commands that only need
 * names (e.g. `pulse query` resolving `dataset.table` in the default database).
 */
export function readWorkflowSettings(projectDir: string): z.infer<typeof WorkflowSettings> {
  const file = path.join(projectDir, "workflow_settings.yaml");
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = yaml.load(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file}: ${(error as Error).message}`);
  }
  const result = WorkflowSettings.safeParse(parsed ?? {});
  if (!result.success) throw new UserError(`${file}: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return result.data;
}
