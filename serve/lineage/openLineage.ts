import * as polyglot from "@polyglot-sql/sdk";
import type { CatalogEntry } from "../catalog.js";
import { NAMESPACE, PRODUCER } from "./columnLineage.js";

/**
 * One OpenLineage JobEvent per table or view of the graph, with the columnLineage facet on its output, built
 * by polyglot-sql from the compiled DuckDB SQL. A table the parser cannot read gets an error line instead.
 */
export function openLineageEvents(entries: CatalogEntry[], jobNamespace: string): { table: string; event?: Record<string, unknown>; error?: string }[] {
  return entries
    .filter((e) => (e.kind === "table" || e.kind === "view" || e.kind === "incremental") && e.query)
    .map((e) => {
      const result = polyglot.openLineageJobEvent(e.query!, {
        dialect: "duckdb",
        producer: PRODUCER,
        datasetNamespace: NAMESPACE,
        outputDataset: { namespace: NAMESPACE, name: e.name },
        jobNamespace,
        jobName: e.name,
      });
      return result.success && result.event ? { table: e.name, event: result.event } : { table: e.name, error: result.error ?? "no event" };
    });
}
