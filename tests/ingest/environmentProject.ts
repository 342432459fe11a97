import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A project folder holding only environments.yaml, with dev and `count` environments of unique names: the stream
 * ingest's default consumer group and subscriptions are named after the environment, and unique names keep runs of
 * the suite on one broker or emulator out of each other's groups.
 */
export async function projectWithEnvironments(count: number): Promise<{ project: string; envs: string[] }> {
  const project = await mkdtemp(path.join(tmpdir(), "pulse-envs-"));
  const envs = Array.from({ length: count }, (_, i) => `t${i}_${randomBytes(4).toString("hex")}`);
  const declared = ["dev", ...envs].map((name) => `  ${name}:\n    developerWrites: true\n`).join("");
  await writeFile(path.join(project, "environments.yaml"), `environments:\n${declared}`);
  return { project, envs };
}
