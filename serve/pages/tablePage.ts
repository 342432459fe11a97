import { grainOf, type CatalogEntry } from "../catalog.js";
import { esc, page, rowsTable } from "../html.js";
import { upstreamColumns, type Lineage } from "../lineage/columnLineage.js";
import type { NodeStatus } from "../pipelineStatus.js";
import type { Rows } from "../warehouseReader.js";

export interface TablePageData {
  entry: CatalogEntry;
  /** Columns with their warehouse types; from the graph's descriptions when the table is not built yet. */
  columns: { name: string; type: string }[];
  lineage: Lineage;
  assertions: { entry: CatalogEntry; status: NodeStatus | undefined }[];
  stats?: { rowCount: number; newestLoad: string | null };
  sample: Rows;
  sqlxSource?: string;
}

const short = (name: string) => name.split(".").slice(-2).join(".");

function lineageList(data: TablePageData, column: string, root: string, staticSite: boolean): string {
  const upstream = upstreamColumns(data.lineage, data.entry.name, column);
  if (!data.lineage[data.entry.name]) return "";
  if (upstream.length === 0) return `<span class="muted">no upstream column (a constant or computed from none)</span>`;
  const items = upstream.map((u) => {
    const detail = [u.jsonPath ? `→ ${u.jsonPath}` : "", u.filters.length ? `where ${u.filters.join(" and ")}` : ""].filter(Boolean).join(" ");
    const href = staticSite ? `${root}tables/${short(u.table)}.html` : `${root}tables/${short(u.table)}`;
    return `<li data-upstream="${esc(`${short(u.table)}.${u.column}`)}" data-depth="${u.depth}" style="margin-left:${(u.depth - 1) * 14}px">
<a href="${esc(href)}">${esc(short(u.table))}</a>.<b>${esc(u.column)}</b> ${esc(detail)} <span class="muted">${esc(u.subtype.toLowerCase())} · into ${esc(short(u.of))}</span></li>`;
  });
  return `<ul class="lineage" data-column="${esc(column)}">${items.join("")}</ul>`;
}

export function tablePage(data: TablePageData, options: { root?: string; staticSite?: boolean } = {}): string {
  const root = options.root ?? "/";
  const e = data.entry;
  const described = new Map(e.columns.map((c) => [c.path.join("."), c.description ?? ""]));
  const names = data.columns.length > 0 ? data.columns : e.columns.map((c) => ({ name: c.path.join("."), type: "" }));
  const lineageOf = data.lineage[e.name];
  const columnRows = names
    .map(
      (c) => `<tr data-column="${esc(c.name)}"><td><b>${esc(c.name)}</b></td><td>${esc(c.type)}</td><td>${esc(described.get(c.name) ?? "")}</td>
<td>${lineageOf ? lineageList(data, c.name, root, options.staticSite ?? false) : e.kind === "declaration" ? '<span class="muted">source</span>' : ""}</td></tr>`,
    )
    .join("\n");
  const assertions = data.assertions.length
    ? `<table id="assertions"><thead><tr><th>assertion</th><th>last result</th><th>rows</th><th>message</th></tr></thead><tbody>${data.assertions
        .map(
          (
            a,
          ) => `<tr data-assertion="${esc(a.entry.name)}" class="status-${esc((a.status?.status ?? "never run").replace(" ", "-"))}"><td>${esc(a.entry.target.name)}<div class="muted">${esc(a.entry.description)}</div></td>
<td>${esc(a.status?.status ?? "never run")}</td><td>${esc(a.status?.rows ?? "")}</td><td>${esc(a.status?.error ?? a.status?.skippedBecause ?? "")}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : `<p class="muted">no assertions check this table</p>`;
  const body = `<h1>${esc(e.shortName)} <span class="muted">${esc(e.kind)}</span></h1>
<section class="card"><p>${esc(e.description) || '<span class="muted">no description</span>'}</p>
<p><b>grain:</b> ${esc(grainOf(e)) || '<span class="muted">not stated</span>'}</p>
<p><b>tags:</b> ${e.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join("") || '<span class="muted">none</span>'}
${e.dependencies.length ? ` · <b>reads:</b> ${e.dependencies.map((d) => `<a href="${esc(options.staticSite ? `${root}tables/${short(d)}.html` : `${root}tables/${short(d)}`)}">${esc(short(d))}</a>`).join(", ")}` : ""}</p>
<p id="stats">${data.stats ? `<b>rows:</b> <span id="row-count">${data.stats.rowCount.toLocaleString("en-US")}</span>${data.stats.newestLoad ? ` · <b>newest load:</b> ${esc(data.stats.newestLoad)}` : ""}` : '<span class="muted">not built yet</span>'}</p></section>
<section class="card"><h2>Columns and their upstream columns</h2>
${lineageOf?.problems.length ? `<p class="muted">parser notes: ${esc(lineageOf.problems.join("; "))}</p>` : ""}
<table id="columns"><thead><tr><th>column</th><th>type</th><th>description</th><th>upstream columns (column lineage, from the compiled SQL)</th></tr></thead><tbody>${columnRows}</tbody></table></section>
<section class="card"><h2>Assertions</h2>${assertions}</section>
<section class="card"><h2>Sample rows</h2>${rowsTable(data.sample, { id: "sample" })}</section>
${data.sqlxSource !== undefined ? `<section class="card"><details><summary><b>SQLX source</b> <span class="muted">${esc(e.fileName ?? "")}</span></summary><pre id="sqlx">${esc(data.sqlxSource)}</pre></details></section>` : ""}
${e.query ? `<section class="card"><details><summary><b>Compiled SQL</b> <span class="muted">(DuckDB, as pulse run executes it)</span></summary><pre id="compiled">${esc(e.query.trim())}</pre></details></section>` : ""}`;
  return page({ title: e.shortName, current: "tables", root, staticSite: options.staticSite, body });
}
