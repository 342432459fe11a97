/**
 * The compiled graph as `dataform compile --json` prints it (protobuf JSON of dataform.CompiledGraph).
 * Only the fields pulse reads are typed; the JSON carries more and is passed through untouched.
 */
export interface Target {
  database?: string;
  schema?: string;
  name: string;
}

interface ActionBase {
  target: Target;
  canonicalTarget?: Target;
  fileName?: string;
  tags?: string[];
  dependencyTargets?: Target[];
  disabled?: boolean;
  hermeticity?: string;
}

export interface ColumnDescriptor {
  path: string[];
  description?: string;
  /** BigQuery policy tags (resource names); pulse treats a tagged column as PII (access/piiColumns.ts). */
  bigqueryPolicyTags?: string[];
}

export interface CompiledTable extends ActionBase {
  type?: string;
  enumType?: "TABLE" | "VIEW" | "INCREMENTAL" | "UNKNOWN_TYPE";
  query?: string;
  incrementalQuery?: string;
  preOps?: string[];
  postOps?: string[];
  incrementalPreOps?: string[];
  incrementalPostOps?: string[];
  uniqueKey?: string[];
  protected?: boolean;
  materialized?: boolean;
  onSchemaChange?: "IGNORE" | "FAIL" | "EXTEND" | "SYNCHRONIZE";
  bigquery?: { labels?: Record<string, string> };
  actionDescriptor?: { description?: string; columns?: ColumnDescriptor[] };
}

export interface CompiledOperation extends ActionBase {
  queries?: string[];
  hasOutput?: boolean;
}

export interface CompiledAssertion extends ActionBase {
  query?: string;
  parentAction?: Target;
}

export interface CompiledDeclaration {
  target: Target;
  canonicalTarget?: Target;
  fileName?: string;
  actionDescriptor?: { description?: string; columns?: ColumnDescriptor[] };
}

export interface CompiledTest {
  name: string;
  fileName?: string;
  target?: Target;
  testQuery?: string;
  expectedOutputQuery?: string;
  /** pulse's own rendering of a test could not resolve an input. */
  inputError?: string;
}

export interface CompilationError {
  fileName?: string;
  message?: string;
  stack?: string;
}

export interface ProjectConfig {
  warehouse?: string;
  defaultDatabase?: string;
  defaultSchema?: string;
  assertionSchema?: string;
  defaultLocation?: string;
  vars?: Record<string, string>;
}

export interface CompiledGraph {
  projectConfig: ProjectConfig;
  tables?: CompiledTable[];
  operations?: CompiledOperation[];
  assertions?: CompiledAssertion[];
  declarations?: CompiledDeclaration[];
  tests?: CompiledTest[];
  graphErrors?: { compilationErrors?: CompilationError[] };
  targets?: Target[];
  dataformCoreVersion?: string;
}

/** `database.schema.name`: the name Dataform prints and `--actions` matches in full. */
export function targetName(target: Target): string {
  return [target.database, target.schema, target.name].filter((part) => part !== undefined && part !== "").join(".");
}
