import fs from "node:fs";
import path from "node:path";
import type { ServeModel } from "./app.js";
import { assetFiles } from "./assets.js";
import { pipelinePage } from "./pages/pipeline.js";
import { tablePage } from "./pages/tablePage.js";

/**
 * The data docs and the DAG as plain files (for CI artifacts): index.html is the pipeline with the statuses
 * of the warehouse's latest results, tables/<schema.name>.html each table's docs and lineage, assets/ the
 * scripts. No server: links are relative and the live updates are off.
 */
export async function buildDocs(model: ServeModel, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const write = (relative: string, content: string | Buffer) => {
    const file = path.join(outDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    written.push(relative);
  };
  for (const [name, asset] of Object.entries(assetFiles())) write(path.join("assets", name), fs.readFileSync(asset.file));
  write("index.html", pipelinePage(model.layout, await model.pipeline(), { root: "", staticSite: true }));
  for (const entry of model.entries) {
    if (entry.kind === "assertion") continue;
    write(path.join("tables", `${entry.shortName}.html`), tablePage(await model.table(entry), { root: "../", staticSite: true }));
  }
  return written;
}
