import { esc, page, rowsTable } from "../html.js";
import { DASHBOARD_CHARTS, type ChartName, type DashboardFilters } from "../queries.js";
import type { Rows } from "../warehouseReader.js";

export interface DashboardData {
  filters: DashboardFilters;
  options: { gyms: number[]; ages: string[]; firstDay: string | null; lastDay: string | null };
  charts: Record<ChartName, Rows>;
  stale: boolean;
}

function section(name: ChartName, title: string, chart: boolean, body: string): string {
  return `<section class="card" id="${name}"><h2>${esc(title)}</h2>
<p class="reads">reads <code>${esc(DASHBOARD_CHARTS[name].reads)}</code></p>
${chart ? `<div class="chart" data-chart="${name}"></div>` : ""}
${body}
<details><summary>SQL</summary><pre>${esc(DASHBOARD_CHARTS[name].sql)}</pre></details></section>`;
}

/** Charts are drawn in the browser (Observable Plot) from the same rows the tables print. */
export function dashboardPage(data: DashboardData): string {
  const f = data.filters;
  const option = (value: string | number, selected: boolean) => `<option value="${esc(value)}"${selected ? " selected" : ""}>${esc(value)}</option>`;
  const form = `<form class="filters" method="get" action="/">
<label>from <input type="date" name="from" value="${esc(f.from ?? "")}" min="${esc(data.options.firstDay ?? "")}" max="${esc(data.options.lastDay ?? "")}"></label>
<label>to <input type="date" name="to" value="${esc(f.to ?? "")}" min="${esc(data.options.firstDay ?? "")}" max="${esc(data.options.lastDay ?? "")}"></label>
<label>gym <select name="gym"><option value="">all</option>${data.options.gyms.map((g) => option(g, f.gym === g)).join("")}</select></label>
<label>age bin <select name="age"><option value="">all</option>${data.options.ages.map((a) => option(a, f.age === a)).join("")}</select></label>
<button type="submit">apply</button> <a href="/">reset</a></form>`;
  const c = data.charts;
  const body = `<h1>Dashboard</h1>
${data.stale ? `<p class="stale">A run holds the warehouse: these numbers are from before it; reload when it ends.</p>` : ""}
${form}
<div class="grid">
${section("bpmByBin", "Workout BPM by age bin and gender: min / avg / max", true, `<p class="muted">min of session minimums, mean of session averages, max of session maximums</p>${rowsTable(c.bpmByBin, { id: "table-bpmByBin" })}`)}
${section("bpmDistribution", "Distribution of session average BPM by age bin and gender", true, `<p class="muted">${c.bpmDistribution.length} sessions</p>`)}
${section("sessionsPerDay", "Sessions per day", true, rowsTable(c.sessionsPerDay, { id: "table-sessionsPerDay" }))}
${section("gymUsage", "Gym usage by gym and hour: minutes in gym vs minutes exercising", true, rowsTable(c.gymUsage, { id: "table-gymUsage" }))}
${section("topSessions", "Top sessions by average BPM", false, rowsTable(c.topSessions, { id: "table-topSessions" }))}
${section("bottomSessions", "Bottom sessions by average BPM", false, rowsTable(c.bottomSessions, { id: "table-bottomSessions" }))}
</div>
<script type="application/json" id="dashboard-data">${JSON.stringify(c).replace(/</g, "\\u003c")}</script>`;
  return page({ title: "dashboard", current: "dashboard", body, scripts: ["d3.min.js", "plot.umd.min.js", "dashboard.js"] });
}
