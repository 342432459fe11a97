import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PACKAGE_ROOT } from "../lib/home.js";

const require = createRequire(import.meta.url);

/** An npm package's folder (its exports hide dist/ and package.json from require.resolve). */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) !== name.split("/").pop()) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package ${name} not found`);
    dir = parent;
  }
  return dir;
}

/**
 * Every file the pages load, served from the package itself: the chart libraries' browser builds from
 * node_modules, pulse's own scripts and styles from serve/assets/. Nothing comes from a CDN.
 */
export function assetFiles(): Record<string, { file: string; type: string }> {
  const own = (name: string, type: string) => ({ file: path.join(PACKAGE_ROOT, "serve", "assets", name), type });
  return {
    "d3.min.js": { file: path.join(packageDir("d3"), "dist", "d3.min.js"), type: "text/javascript" },
    "plot.umd.min.js": { file: path.join(packageDir("@observablehq/plot"), "dist", "plot.umd.min.js"), type: "text/javascript" },
    "dashboard.js": own("dashboard.js", "text/javascript"),
    "pipeline.js": own("pipeline.js", "text/javascript"),
    "style.css": own("style.css", "text/css"),
  };
}
