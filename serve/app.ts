import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { CompiledGraph } from "../runner/compile/graph.js";
import { relationName } from "../runner/adapters/duckdb/names.js";
import { readRunProgress } from "../runner/history/runProgress.js";
import { catalog, type CatalogEntry } from "./catalog.js";
import { layoutDag, type DagLayout } from "./dagLayout.js";
import { columnLineage, type Lineage } from "./lineage/columnLineage.js";
import { pipelineStatus, runningIngest, type PipelineStatus } from "./pipelineStatus.js";
import { IngestStatusReader } from "../ingest/ingestStatus.js";
import { piiColumns, type PiiColumn } from "../access/piiColumns.js";
import {
  dashboardQueries,
  DASHBOARD_CHARTS,
  FILTER_OPTIONS,
  HISTORY_EXISTS,
  LAST_ACTION_RESULTS,
  relationColumns,
  relationStats,
  RUN_HISTORY,
  sampleRows,
  type ChartName,
  type DashboardFilters,
} from "./queries.js";
import type { DashboardData } from "./pages/dashboard.js";
import type { TablePageData } from "./pages/tablePage.js";
import { WarehouseReader, type BoundQuery } from "./warehouseReader.js";

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
  private readonly ingest: IngestStatusReader;
  /** PII columns per `dataset.table`, masked in sample rows. */
  private readonly pii: Map<string, PiiColumn[]>;

  constructor(
    readonly graph: CompiledGraph,
    readonly projectDir: string,
    readonly home: string,
  ) {
    this.entries = catalog(graph);
    this.layout = layoutDag(this.entries);
    this.lineage = columnLineage(this.entries);
    this.reader = new WarehouseReader(home, graph.projectConfig.defaultDatabase || "pulse");
    this.ingest = new IngestStatusReader(home);
    this.pii = piiColumns(graph);
  }

  /** The dashboard's rows, or undefined while there is nothing to chart. */
  async dashboard(query: z.infer<typeof DashboardQuery>): Promise<DashboardData | undefined> {
    const filters: DashboardFilters = { from: query.from ?? null, to: query.to ?? null, gym: query.gym ?? null, age: query.age ?? null };
    const { value: rows, stale } = await this.reader.session(`dashboard:${JSON.stringify(filters)}`, async (q) => {
      if (!(await hasRunsIn(q))) return undefined;
      const all: Rows[] = [];
      for (const bound of [...FILTER_OPTIONS, ...dashboardQueries(filters)]) all.push(await q(bound));
      return all;
    });
    if (!rows) return undefined;
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
    const { value, stale } = await this.reader.session("pipeline", historyIn);
    return pipelineStatus({ ...value, stale }, readRunProgress(this.home), runningIngest(await this.ingest.read("saved state only")));
  }

  entry(shortName: string): CatalogEntry | undefined {
    return this.entries.find((e) => e.shortName === shortName && e.kind !== "assertion");
  }

  async table(entry: CatalogEntry): Promise<TablePageData> {
    const { value, stale } = await this.reader.session(`table:${entry.name}`, async (q) => {
      const history = await historyIn(q);
      const columns = (await q(relationColumns(entry.target.schema ?? "", entry.target.name))).map((c) => ({ name: String(c.name), type: String(c.type) }));
      if (columns.length === 0) return { history, columns, stats: undefined, sample: [] as Rows };
      // The relation's name comes from the compiled graph (the entry), never from the request.
      const relation = relationName(entry.target);
      const [s] = await q(
        relationStats(
          relation,
          columns.some((c) => c.name === "_ingested_at"),
        ),
      );
      return {
        history,
        columns,
        stats: { rowCount: Number(s?.row_count ?? 0), newestLoad: (s?.newest_load as string | null) ?? null },
        sample: await q(sampleRows(relation, columns, this.pii.get(`${entry.target.schema}.${entry.target.name}`) ?? [])),
      };
    });
    const status = pipelineStatus({ ...value.history, stale }, readRunProgress(this.home));
    const assertions = this.entries.filter((e) => e.kind === "assertion" && e.checks === entry.name).map((a) => ({ entry: a, status: status.actions[a.name] }));
    const { columns, stats, sample } = value;
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
type Query = (q: BoundQuery) => Promise<Rows>;

async function hasRunsIn(q: Query): Promise<boolean> {
  const [row] = await q(HISTORY_EXISTS);
  return Number(row?.history ?? 0) > 0 && Number(row?.gold ?? 0) === 2;
}

/** Each action's newest result and the run list; empty before the first run. */
async function historyIn(q: Query): Promise<{ lastResults: Rows; runs: Rows }> {
  const [row] = await q(HISTORY_EXISTS);
  if (Number(row?.history ?? 0) === 0) return { lastResults: [], runs: [] };
  return { lastResults: await q(LAST_ACTION_RESULTS), runs: await q(RUN_HISTORY) };
}
