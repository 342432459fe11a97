import { esc, page } from "../html.js";
import { ASSERTION_ROW, NODE_HEIGHT, type DagLayout } from "../dagLayout.js";
import type { PipelineStatus } from "../pipelineStatus.js";

/** Where a node links: its table page, or for an assertion the page of the table it checks. */
export function tableHref(root: string, name: string, checks: string | undefined, staticSite: boolean): string {
  const short = (checks ?? name).split(".").slice(-2).join(".");
  return staticSite ? `${root}tables/${short}.html` : `${root}tables/${short}`;
}

/** The DAG as server-rendered SVG; pipeline.js recolors and relabels nodes from live status. */
export function dagSvg(layout: DagLayout, root: string, staticSite: boolean): string {
  const edges = layout.edges
    .map((e) => `<path class="edge" d="M${e.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" L")}" data-from="${esc(e.from)}" data-to="${esc(e.to)}"/>`)
    .join("\n");
  const fit = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const nodes = layout.nodes
    .map((n) => {
      const e = n.entry;
      const label = e.kind === "assertion" ? e.target.name : e.shortName;
      const rows = n.assertions
        .map((a, i) => {
          // Built-in assertions are named <schema>_<table>_assertions_<kind>: the node already says the table.
          const name = a.target.name.replace(`${e.target.schema}_${e.target.name}_assertions_`, "");
          const y = NODE_HEIGHT + i * ASSERTION_ROW;
          return `<g class="node assertion kind-assertion status-never-run" data-action="${esc(a.name)}" transform="translate(6,${y - 4})">
<title>${esc(a.name)}</title><rect width="${n.width - 12}" height="${ASSERTION_ROW - 3}" rx="3"/><text x="6" y="10.5" class="name">✓ ${esc(fit(name, 22))}</text><text x="${n.width - 18}" y="10.5" class="line1" text-anchor="end"></text></g>`;
        })
        .join("");
      return `<g class="box" transform="translate(${n.x.toFixed(1)},${n.y.toFixed(1)})"><a href="${esc(tableHref(root, e.name, e.checks, staticSite))}"><g class="node kind-${e.kind} status-never-run" data-action="${esc(e.name)}">
<title>${esc(e.name)}</title><rect width="${n.width}" height="${n.height}" rx="6"/>
<text x="8" y="16" class="name">${esc(fit(label, 36))}</text>
<text x="8" y="31" class="line1">${e.kind === "declaration" ? "source" : "never run"}</text>
<text x="8" y="45" class="line2"></text></g></a>${rows}</g>`;
    })
    .join("\n");
  return `<svg id="dag" viewBox="0 0 ${layout.width} ${layout.height}" style="width: 100%; max-width: ${layout.width}px; height: auto" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${edges}
${nodes}</svg>`;
}

export function pipelinePage(layout: DagLayout, status: PipelineStatus, options: { root?: string; staticSite?: boolean } = {}): string {
  const root = options.root ?? "/";
  const body = `<h1>Pipeline</h1>
<p id="live-banner" class="live"${status.live ? "" : " hidden"}></p>
<p class="legend"><span class="status-success">success</span> <span class="status-failed">failed</span> <span class="status-skipped">skipped</span> <span class="status-running">running</span> <span class="status-never-run">never run</span> · bronze → silver → gold, assertions inside the table they check${options.staticSite ? " · exported statuses" : " · updates live"}</p>
<div class="dag-wrap">${dagSvg(layout, root, options.staticSite ?? false)}</div>
<section class="card"><h2>Problems</h2><ul id="problems"></ul></section>
<section class="card"><h2>Ingest</h2><p class="reads">reads the running ingest processes' state and <code>bronze.dead_letters</code> (as <code>pulse ingest status</code>)</p><div id="ingest"></div></section>
<section class="card"><h2>Run history</h2><p class="reads">reads <code>pulse_meta.runs</code></p><div class="chart" id="run-chart"></div><div id="run-table"></div></section>
<script type="application/json" id="pipeline-data">${JSON.stringify(status).replace(/</g, "\\u003c")}</script>`;
  return page({
    title: "pipeline",
    current: "pipeline",
    root,
    staticSite: options.staticSite,
    body,
    scripts: ["d3.min.js", "plot.umd.min.js", "pipeline.js"],
  });
}
