import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { describeFailure } from "../../cli/failure.js";
import { UserError } from "../../lib/errors.js";
import { tempDir } from "../runner/helpers.js";

async function caught(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("did not fail");
}

describe("one mapping from errors to a line and an exit code", () => {
  it("a full disk is one line, exit 1", async () => {
    const error = await caught(() => fs.writeFileSync("/dev/full", "x"));
    expect(describeFailure(error)).toEqual({ message: "no space left on the device (write, ENOSPC)", exitCode: 1 });
  });

  it("a path through a file is one line naming it, exit 1", async () => {
    const file = path.join(tempDir(), "file");
    fs.writeFileSync(file, "");
    const error = await caught(() => fs.mkdirSync(path.join(file, "home")));
    expect(describeFailure(error)).toEqual({ message: `${path.join(file, "home")}: not a directory (mkdir, ENOTDIR)`, exitCode: 1 });
  });

  it("DuckDB's file errors are their first line, exit 1", async () => {
    const error = await caught(() => DuckDBInstance.create(path.join(tempDir(), "missing", "dir", "w.duckdb")));
    const { message, exitCode } = describeFailure(error);
    expect(exitCode).toBe(1);
    expect(message).toMatch(/^IO Error: /);
    expect(message).not.toContain("\n");
  });

  it("a broker that cannot be reached is one line, exit 1", async () => {
    const admin = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 500 }).admin();
    const error = await caught(() => admin.connect());
    const { message, exitCode } = describeFailure(error);
    expect(exitCode).toBe(1);
    expect(message).toMatch(/^Kafka: .*(ECONNREFUSED|Connection)/);
  });

  it("user errors keep their code; a bug keeps its stack and exits 70", () => {
    expect(describeFailure(new UserError("lock held", 75))).toEqual({ message: "lock held", exitCode: 75 });
    const bug = describeFailure(new TypeError("x is undefined"));
    expect(bug.exitCode).toBe(70);
    expect(bug.message).toMatch(/^internal error: TypeError: x is undefined\n\s+at /);
  });
});
