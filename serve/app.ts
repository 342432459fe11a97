import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { CompiledGraph } from "../runner/compile/graph.js";
import { relationName } from "../runner/adapters/duckdb/names.js";
import { readRunProgress } from "../runner/history/runProgress.js";
import { catalog, type CatalogEntry } from "./catalog.js";
import { layoutDag, type DagLayout } from "./dagLayout.js";
import { columnLineage, type Lineage } from "./lineage/columnLineage.js";
import { pipelineStatus, type PipelineStatus } from "./pipelineStatus.js";
import { dashboardQueries, DASHBOARD_CHARTS, FILTER_OPTIONS, HISTORY_EXISTS, LAST_ACTION_RESULTS, relationColumns, relationStats, RUN_HISTORY, sampleRows, type ChartName, type DashboardFilters } from "./queries.js";
import type { DashboardData } from "./pages/dashboard.js";
import type { TablePageData } from "./pages/tablePage.js";
import { WarehouseReader } from "./warehouseReader.js";

/** Query parameters of the dashboard: an empty form field means "no filter". */
const blank = (v: unknown) => (v === "" ? undefined : v);
export const DashboardQuery = z
  .object({
    from: z.preprocess(blank, z.iso.date().optional()),
    to: z.preprocess(blank, z.iso.date().optional()),
    gym: z.preprocess(blank, z.coerce.number().int().min(0).max(1e12).optional()),
    age: z.preprocess(blank, z.string().max(40).optional()),
  })
  .strict();

/** `schema.name` of a table page. */
export const TableName = z.string().regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, "expected schema.name");

/**
 * What the pages show, read from the compiled graph (once, at start) and the warehouse (per request, through
 * WarehouseReader). The column lineage is computed at start: parsing every query takes seconds.
 */
export class ServeModel {
  readonly entries: CatalogEntry[];
  readonly layout: DagLayout;
  readonly lineage: Lineage;
  readonly reader: WarehouseReader;

  constructor(
    readonly graph: CompiledGraph,
    readonly projectDir: string,
    readonly home: string,
  ) {
    this.entries = catalog(graph);
    this.layout = layoutDag(this.entries);
    this.lineage = columnLineage(this.entries);
    this.reader = new WarehouseReader(home, graph.projectConfig.defaultDatabase || "pulse");
  }

  /** Whether there is anything to chart: run history and the gold tables. */
  async hasRuns(): Promise<boolean> {
    if (!this.reader.exists()) return false;
    const { rows } = await this.reader.read([HISTORY_EXISTS]);
    const row = rows[0]![0]!;
    return Number(row.history) > 0 && Number(row.gold) === 2;
  }

  async dashboard(query: z.infer<typeof DashboardQuery>): Promise<DashboardData> {
    const filters: DashboardFilters = { from: query.from ?? null, to: query.to ?? null, gym: query.gym ?? null, age: query.age ?? null };
    const { rows, stale } = await this.reader.read([...FILTER_OPTIONS, ...dashboardQueries(filters)]);
    const [gyms, ages, range, ...chartRows] = rows as [Rows, Rows, Rows, ...Rows[]];
    const names = Object.keys(DASHBOARD_CHARTS) as ChartName[];
    return {
      filters,
      options: {
        gyms: gyms.map((r) => Number(r.gym)),
        ages: ages.map((r) => String(r.age)),
        firstDay: (range[0]?.first_day as string | null) ?? null,
        lastDay: (range[0]?.last_day as string | null) ?? null,
      },
      charts: Object.fromEntries(names.map((name, i) => [name, chartRows[i]!])) as Record<ChartName, Rows>,
      stale,
    };
  }

  async pipeline(): Promise<PipelineStatus> {
    const progress = readRunProgress(this.home);
    if (!(await this.hasRuns().catch(() => false))) return pipelineStatus({ lastResults: [], runs: [], stale: false }, progress);
    const { rows, stale } = await this.reader.read([LAST_ACTION_RESULTS, RUN_HISTORY]);
    return pipelineStatus({ lastResults: rows[0]!, runs: rows[1]!, stale }, progress);
  }

  entry(shortName: string): CatalogEntry | undefined {
    return this.entries.find((e) => e.shortName === shortName && e.kind !== "assertion");
  }

  async table(entry: CatalogEntry): Promise<TablePageData> {
    const status = await this.pipeline();
    const assertions = this.entries.filter((e) => e.kind === "assertion" && e.checks === entry.name).map((a) => ({ entry: a, status: status.actions[a.name] }));
    let columns: { name: string; type: string }[] = [];
    let stats: TablePageData["stats"];
    let sample: Rows = [];
    if (this.reader.exists()) {
      const [described] = (await this.reader.read([relationColumns(entry.target.schema ?? "", entry.target.name)])).rows as [Rows];
      columns = described.map((c) => ({ name: String(c.name), type: String(c.type) }));
      if (columns.length > 0) {
        // The relation's name comes from the compiled graph (the entry), never from the request.
        const relation = relationName(entry.target);
        const read = await this.reader.read([relationStats(relation, columns.some((c) => c.name === "_ingested_at")), sampleRows(relation)]).catch(() => undefined);
        if (read) {
          const [[s], rows] = read.rows as [Rows, Rows];
          stats = { rowCount: Number(s?.row_count ?? 0), newestLoad: (s?.newest_load as string | null) ?? null };
          sample = rows;
        }
      }
    }
    let sqlxSource: string | undefined;
    if (entry.fileName && !entry.fileName.endsWith(".js")) {
      try {
        sqlxSource = fs.readFileSync(path.join(this.projectDir, entry.fileName), "utf8");
      } catch {
        sqlxSource = undefined;
      }
    }
    return { entry, columns, lineage: this.lineage, assertions, stats, sample, sqlxSource };
  }
}
type Rows = Record<string, unknown>[];
