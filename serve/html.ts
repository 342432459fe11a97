/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export interface PageOptions {
  title: string;
  body: string;
  /** Asset file names (under /assets/) to load as scripts, in order. */
  scripts?: string[];
  /** Prefix of links and assets: "/" when served, a relative path in a static export. */
  root?: string;
  /** Which navigation tab is current. */
  current?: "dashboard" | "pipeline" | "tables";
  /** Pages of a static export have no server behind them (no dashboard, no live updates). */
  staticSite?: boolean;
}

export function page(options: PageOptions): string {
  const root = options.root ?? "/";
  const tab = (id: PageOptions["current"], href: string, label: string) => `<a href="${root}${href}"${options.current === id ? ' class="current"' : ""}>${label}</a>`;
  const nav = options.staticSite ? `${tab("pipeline", "index.html", "Pipeline")}` : `${tab("dashboard", "", "Dashboard")}${tab("pipeline", "pipeline", "Pipeline")}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)} · pulse</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${root}assets/style.css"></head>
<body><header><b>pulse</b><nav>${nav}</nav></header>
<main>${options.body}</main>
${(options.scripts ?? []).map((s) => `<script src="${root}assets/${s}"></script>`).join("\n")}
</body></html>`;
}

/** An HTML table of rows; `data-col` on each cell lets tests and scripts read values back. */
export function rowsTable(rows: Record<string, unknown>[], options: { id?: string; columns?: string[] } = {}): string {
  const columns = options.columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  if (rows.length === 0) return `<p class="muted">(no rows)</p>`;
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td data-col="${esc(c)}">${esc(r[c] ?? "NULL")}</td>`).join("")}</tr>`).join("\n");
  return `<table${options.id ? ` id="${esc(options.id)}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
