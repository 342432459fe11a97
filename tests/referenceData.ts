import path from "node:path";

/**
 * The wearable reference data set, kept in the repository as test fixtures (see its README for provenance),
 * so that a clone with nothing beside it passes the suite.
 */
export const REFERENCE = path.resolve(import.meta.dirname, "fixtures/reference-data");
