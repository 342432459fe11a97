import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PULSE_CLI = path.join(REPO, "dist", "cli", "main.js");
export const DATAFORM_CLI = path.join(REPO, "node_modules", ".bin", "dataform");

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** The official CLI wants the project's own @dataform/core and a package.json naming it. */
export function makeCompilableByOfficialCli(projectDir: string): void {
  const core = path.join(REPO, "node_modules", "@dataform", "core");
  const version = (JSON.parse(fs.readFileSync(path.join(core, "package.json"), "utf8")) as { version: string }).version;
  fs.cpSync(core, path.join(projectDir, "node_modules", "@dataform", "core"), { recursive: true });
  write(path.join(projectDir, "package.json"), JSON.stringify({ name: "bench-project", private: true, dependencies: { "@dataform/core": version } }));
}

/**
 * A realistic mid-size project: declared sources, then layers of tables, views and incrementals that
 * each ref one to three actions of the layer below, built-in assertions, SQLX assertions and an
 * includes/ helper. `actions` counts everything executable (built-in assertions included).
 */
export function generateCompileProject(dir: string, actions = 300): void {
  write(path.join(dir, "workflow_settings.yaml"), 'defaultProject: bench\ndefaultLocation: US\ndefaultDataset: core\ndefaultAssertionDataset: checks\nvars:\n  since: "2024-01-01"\n');
  write(path.join(dir, "includes", "helpers.js"), "function since(column) {\n  return `${column} >= DATE '${dataform.projectConfig.vars.since}'`;\n}\nmodule.exports = { since };\n");
  for (let i = 0; i < 10; i++) {
    write(path.join(dir, "definitions", "sources", `source_${i}.sqlx`), `config { type: "declaration", schema: "raw", name: "source_${i}" }\n`);
  }
  let made = 0;
  const previous: string[] = [];
  for (let i = 0; made < actions; i++) {
    const name = `model_${String(i).padStart(4, "0")}`;
    const inputs = previous.length === 0 ? [`ref("raw", "source_${i % 10}")`] : [...new Set([1, 7, 31].map((step) => previous[(i * step) % previous.length]!))].map((p) => `ref("${p}")`);
    const kind = i % 5 === 0 ? "incremental" : i % 3 === 0 ? "view" : "table";
    const assertions = kind === "table" && i % 2 === 0 ? `,\n  assertions: { uniqueKey: ["id"], nonNull: ["id"] }` : "";
    const config = `config {\n  type: "${kind}",\n  tags: ["layer_${i % 4}", "${kind}"]${kind === "incremental" ? ',\n  uniqueKey: ["id"]' : ""}${assertions},\n  description: "Generated model ${i}."\n}\n`;
    const selects = inputs.map((input) => `SELECT id, day, value FROM \${${input}} WHERE \${helpers.since("day")}`).join("\nUNION ALL\n");
    const incremental = kind === "incremental" ? `\n\${when(incremental(), \`AND day > (SELECT MAX(day) FROM \${self()})\`)}` : "";
    write(path.join(dir, "definitions", "models", `${name}.sqlx`), `${config}\n${selects}${incremental}\n`);
    made += 1 + (assertions ? 2 : 0);
    if (i % 10 === 9 && made < actions) {
      write(path.join(dir, "definitions", "checks", `${name}_positive.sqlx`), `config { type: "assertion", tags: ["checks"] }\nSELECT * FROM \${ref("${name}")} WHERE value < 0\n`);
      made += 1;
    }
    previous.push(name);
  }
}

/**
 * The runner-overhead graph: `count` trivial tables (`select 1 as x`), in ten chains that fan out from
 * a root and back into a sink, so the run exercises dependency scheduling as well as concurrency.
 */
export function generateTrivialProject(dir: string, count = 200): void {
  write(path.join(dir, "workflow_settings.yaml"), "defaultProject: bench\ndefaultLocation: US\ndefaultDataset: core\ndefaultAssertionDataset: checks\n");
  const names = Array.from({ length: count }, (_, i) => `t_${String(i).padStart(3, "0")}`);
  names.forEach((name, i) => {
    const chain = (i - 1) % 10;
    const dependencies = i === 0 ? [] : i === count - 1 ? names.slice(Math.max(1, count - 11), count - 1) : i <= 10 ? [names[0]!] : [names[i - 10]!];
    const config = `config { type: "table"${dependencies.length ? `, dependencies: [${dependencies.map((d) => `"${d}"`).join(", ")}]` : ""}, tags: ["chain_${chain < 0 ? "root" : chain}"] }`;
    write(path.join(dir, "definitions", `${name}.sqlx`), `${config}\nselect 1 as x\n`);
  });
}

/** Wall time of one child process, in ms; fails loudly if the command fails. */
export function timeProcess(command: string, args: string[], cwd = REPO): number {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 256 << 20 });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stderr}`);
  return elapsed;
}
