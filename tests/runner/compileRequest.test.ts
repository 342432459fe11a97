import { createRequire } from "node:module";
import path from "node:path";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { encodeCompileRequest } from "../../runner/compile/request.js";

// The reference: core's own .proto files, read by protobufjs.
function coreRequestType(): protobuf.Type {
  const dir = path.dirname(createRequire(import.meta.url).resolve("@dataform/core/bundle.js"));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : path.join(dir, path.basename(target)));
  root.loadSync(path.join(dir, "core.proto"));
  return root.lookupType("dataform.CoreExecutionRequest");
}

describe("encodeCompileRequest", () => {
  const type = coreRequestType();

  it("decodes with core.proto into the request core expects", () => {
    const override = {
      vars: { batch: "2", label: "é ✓", empty: "" },
      defaultDatabase: "db",
      defaultSchema: "schema",
      assertionSchema: "checks",
      schemaSuffix: "dev",
      tablePrefix: "pre",
      defaultLocation: "EU",
    };
    const files = ["definitions/a.sqlx", "includes/x.js", `definitions/${"long/".repeat(40)}b.sqlx`];
    const decoded = type.toObject(type.decode(Buffer.from(encodeCompileRequest("/project dir", files, override), "base64")));
    expect(decoded).toEqual({ compile: { compileConfig: { projectDir: "/project dir", filePaths: files, projectConfigOverride: override } } });
  });

  it("is byte for byte what protobufjs encodes", () => {
    const request = { compile: { compileConfig: { projectDir: "/p", filePaths: ["definitions/a.sqlx"], projectConfigOverride: { defaultDatabase: "d", vars: { k: "v" } } } } };
    const reference = Buffer.from(type.encode(type.fromObject(request)).finish()).toString("base64");
    expect(encodeCompileRequest("/p", ["definitions/a.sqlx"], { defaultDatabase: "d", vars: { k: "v" } })).toBe(reference);
  });
});
