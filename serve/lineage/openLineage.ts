import { NAMESPACE, PRODUCER, type Lineage } from "./columnLineage.js";

const JOB_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent";
const COLUMN_LINEAGE_SCHEMA = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json";

/**
 * One OpenLineage JobEvent per table or view, its output carrying the columnLineage facet. Built from the
 * lineage the parser computed (columnLineage), not by parsing again: polyglot's own event builder took ~3 s per
 * table here and could not expand `SELECT *` over a CTE, which columnLineage resolves with the upstream columns.
 */
export function openLineageEvents(lineage: Lineage, jobNamespace: string, eventTime = new Date().toISOString()): Record<string, unknown>[] {
  return Object.values(lineage).map((table) => {
    const inputs = new Set<string>();
    const fields: Record<string, unknown> = {};
    for (const [column, sources] of Object.entries(table.columns)) {
      fields[column] = {
        inputFields: sources.map((s) => {
          inputs.add(s.table);
          return {
            namespace: NAMESPACE,
            name: s.table,
            field: s.column,
            transformations: [{ type: "DIRECT", subtype: s.subtype, description: [s.jsonPath, ...s.filters].filter(Boolean).join(" where "), masking: false }],
          };
        }),
      };
    }
    return {
      eventTime,
      producer: PRODUCER,
      schemaURL: JOB_EVENT_SCHEMA,
      job: { namespace: jobNamespace, name: table.table },
      inputs: [...inputs].sort().map((name) => ({ namespace: NAMESPACE, name })),
      outputs: [{ namespace: NAMESPACE, name: table.table, facets: { columnLineage: { _producer: PRODUCER, _schemaURL: COLUMN_LINEAGE_SCHEMA, fields } } }],
    };
  });
}
