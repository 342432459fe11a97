import { UserError } from "../lib/errors.js";
import type { ResolvedEnvironment } from "./environments.js";

/**
 * How a deploy identifies itself: the CI stage script (scripts/ciStage.ts) sets `PULSE_DEPLOY=<env>` for the
 * stage that writes that environment. It is a guard against mistakes on a laptop, not a credential: anyone can
 * set a variable, so what really keeps prod safe is that only CI holds prod's BigQuery credentials (README).
 */
export const DEPLOY_VARIABLE = "PULSE_DEPLOY";

/** Refuses to write `env` (exit 1) from a developer's machine when the environment does not allow it. */
export function assertWritable(env: ResolvedEnvironment, what: string, deploy: string | undefined = process.env[DEPLOY_VARIABLE]): void {
  if (env.developerWrites || deploy === env.name) return;
  throw new UserError(
    `${what} in '${env.name}': refused; '${env.name}' is not writable from a developer's machine (developerWrites: false in ${env.source}). ` +
      `It is written by a deploy: CI runs 'pulse promote --from qa --to ${env.name}' with ${DEPLOY_VARIABLE}=${env.name} (scripts/ciStage.ts promote)`,
    1,
  );
}
