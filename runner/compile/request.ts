import type { ProjectConfigOverride } from "./compile.js";

/**
 * core's `main` takes one protobuf message, CoreExecutionRequest { compile { compileConfig } }. pulse
 * writes its few fields directly: loading protobufjs and parsing core's .proto files for this one
 * message cost a fifth of a compile. Field numbers are core.proto's; protobuf never reuses them.
 */
const FIELDS = {
  coreExecutionRequest: { compile: 1 },
  compileExecutionRequest: { compileConfig: 1 },
  compileConfig: { projectDir: 1, projectConfigOverride: 3, filePaths: 8 },
  projectConfig: {
    defaultSchema: 2,
    assertionSchema: 5,
    schemaSuffix: 7,
    defaultDatabase: 9,
    tablePrefix: 11,
    vars: 14,
    defaultLocation: 16,
  },
  mapEntry: { key: 1, value: 2 },
} as const;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

/** A length-delimited field (wire type 2): strings and embedded messages. */
function field(number: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(varint((number << 3) | 2)), Buffer.from(varint(payload.length)), payload]);
}

function stringField(number: number, value: string): Buffer {
  return field(number, Buffer.from(value, "utf8"));
}

function projectConfig(override: ProjectConfigOverride): Buffer {
  const parts: Buffer[] = [];
  const numbers = FIELDS.projectConfig;
  for (const key of ["defaultSchema", "assertionSchema", "schemaSuffix", "defaultDatabase", "tablePrefix", "defaultLocation"] as const) {
    const value = override[key];
    if (value !== undefined) parts.push(stringField(numbers[key], value));
  }
  for (const [key, value] of Object.entries(override.vars ?? {})) {
    parts.push(field(numbers.vars, Buffer.concat([stringField(FIELDS.mapEntry.key, key), stringField(FIELDS.mapEntry.value, value)])));
  }
  return Buffer.concat(parts);
}

/** The base64 CoreExecutionRequest that asks core to compile `projectDir`. */
export function encodeCompileRequest(projectDir: string, filePaths: string[], override: ProjectConfigOverride): string {
  const config = Buffer.concat([
    stringField(FIELDS.compileConfig.projectDir, projectDir),
    field(FIELDS.compileConfig.projectConfigOverride, projectConfig(override)),
    ...filePaths.map((file) => stringField(FIELDS.compileConfig.filePaths, file)),
  ]);
  const compile = field(FIELDS.compileExecutionRequest.compileConfig, config);
  return field(FIELDS.coreExecutionRequest.compile, compile).toString("base64");
}
