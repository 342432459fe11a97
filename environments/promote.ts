import { UserError } from "../lib/errors.js";
import { DEFAULT_DATABASE } from "../runner/localWarehouse.js";
import { readWorkflowSettings } from "../runner/projectSettings.js";
import { compileFor, runProject, type RunRequest, type RunTarget } from "../runner/runProject.js";
import type { RunSummary } from "../runner/execute/results.js";
import { environmentHome } from "./envHome.js";
import { environmentVars, resolveEnvironment } from "./environments.js";
import { checkPromotion } from "./promotionGate.js";
import { assertWritable } from "./writeGuard.js";

export interface PromoteRequest extends Pick<RunRequest, "projectDir" | "concurrency" | "lockTimeoutSeconds" | "command" | "onProgress"> {
  /** PULSE_HOME itself: each environment's state is `<root>/<env>`. */
  root: string;
  from: string;
  to: string;
  /** `--vars` of the promotion, over the target environment's vars. */
  vars: Record<string, string>;
  /** Where the target runs; a BigQuery target gets the target environment's mapping. */
  target: RunTarget;
  log: (message: string) => void;
}

/**
 * `pulse promote --from qa --to prod`: the target must be writable here (a deploy, writeGuard.ts), the gate must
 * pass on the graph the target would run, then the whole graph runs in the target like `pulse run --env <to>`.
 */
export async function promote(request: PromoteRequest): Promise<{ summary: RunSummary; graphHash: string }> {
  if (request.from === request.to) throw new UserError(`promote: --from and --to are both '${request.from}'`);
  const from = resolveEnvironment(request.projectDir, request.from, "--from");
  const to = resolveEnvironment(request.projectDir, request.to, "--to");
  assertWritable(to, "promote");
  const vars = environmentVars(to, request.vars);
  const graph = compileFor("duckdb", request.projectDir, vars);
  const verdict = await checkPromotion({
    from: from.name,
    fromHome: environmentHome(request.root, from.name, request.log),
    database: readWorkflowSettings(request.projectDir).defaultProject ?? DEFAULT_DATABASE,
    graph,
    lockTimeoutSeconds: request.lockTimeoutSeconds ?? 600,
  });
  if (verdict.refusals.length > 0) {
    throw new UserError(`promote ${from.name} → ${to.name}: refused; graph ${verdict.graphHash.slice(0, 12)} has not passed ${from.name}:\n${verdict.refusals.map((r) => `  - ${r}`).join("\n")}`, 1);
  }
  request.log(`promote ${from.name} → ${to.name}: graph ${verdict.graphHash.slice(0, 12)} passed ${from.name} (same graph, every assertion, unit tests); running ${to.name}`);
  const target: RunTarget = request.target.warehouse === "bigquery" ? { ...request.target, mapping: to.bigquery } : request.target;
  const { summary } = await runProject({
    projectDir: request.projectDir,
    home: environmentHome(request.root, to.name, request.log),
    target,
    selection: {},
    vars,
    fullRefresh: false,
    dryRun: false,
    concurrency: request.concurrency,
    lockTimeoutSeconds: request.lockTimeoutSeconds,
    command: request.command,
    onProgress: request.onProgress,
  });
  return { summary, graphHash: verdict.graphHash };
}
