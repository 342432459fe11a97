import { z } from "zod";
import { parseCommandArgs } from "../../lib/args.js";
import { compileFor } from "../../runner/runProject.js";
import { ServeModel } from "../../serve/app.js";
import { listen } from "../../serve/server.js";

const USAGE = `usage: pulse serve [--port 8080] [--env dev]

Serves dashboards over gold, the pipeline DAG with live run status, data docs and column lineage on
http://127.0.0.1:PORT. Reads the warehouse read-only, a moment at a time, so runs and streams go on beside it.`;

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  env: z.enum(["dev"], { error: "only the dev environment exists" }).default("dev"),
  help: z.boolean().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const { flags, projectDir, home } = parseCommandArgs("serve", argv, { port: { type: "string" }, env: { type: "string" } }, Flags);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write("compiling the project and its column lineage...\n");
  const model = new ServeModel(compileFor("duckdb", projectDir, {}), projectDir, home);
  const server = await listen(model, flags.port);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : flags.port;
  process.stdout.write(`pulse serve: http://127.0.0.1:${port}/ (warehouse ${home}); Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // Open event streams would keep close() waiting.
    process.once("SIGINT", () => server.closeAllConnections());
    process.once("SIGTERM", () => server.closeAllConnections());
  });
  return 0;
}
