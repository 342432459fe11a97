import { compileFor } from "../../runner/runProject.js";
import { ServeModel } from "../../serve/app.js";
import { listen } from "../../serve/server.js";
import { envOf, homeOf, homeOption, projectDirOf, projectOption } from "../commonOptions.js";
import { environmentVars } from "../../environments/environments.js";
import { wholeNumber } from "../flagValues.js";
import type { DefineCommand } from "../program.js";

export const define: DefineCommand = (command, exit) =>
  command
    .description(
      "Serves dashboards over gold, the pipeline DAG with live run status, data docs and column lineage on http://127.0.0.1:PORT. " +
        "Reads the warehouse read-only, a moment at a time, so runs and streams go on beside it.",
    )
    .option("--port <port>", "TCP port on 127.0.0.1 (0: any free port)", wholeNumber(0, 65535), 8080)
    .addOption(projectOption())
    .addOption(homeOption())
    .action(async (flags, self) => {
      const projectDir = projectDirOf(flags);
      const home = homeOf(self, projectDir);
      process.stderr.write("compiling the project and its column lineage...\n");
      const model = new ServeModel(compileFor("duckdb", projectDir, environmentVars(envOf(self, projectDir))), projectDir, home);
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
      exit(0);
    });
