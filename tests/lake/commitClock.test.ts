import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { COMMITTED_FILE, commitBatchFile, readCommitClock } from "../../lake/commitClock.js";
import { ensureLake } from "../../lake/ensureLake.js";
import { DuckDBInstance } from "@duckdb/node-api";
import { bronzeViewStatements } from "../../lake/bronzeViews.js";
import { LakeWriter } from "../../lake/lakeWriter.js";

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

async function tempHome(): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), "pulse-commit-"));
  homes.push(home);
  await ensureLake(home);
  return home;
}

async function commitTimes(home: string, table: string): Promise<bigint[]> {
  return (await readdir(path.join(homePaths(home).bronze, table)))
    .map((name) => COMMITTED_FILE.exec(name)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(BigInt)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe("the lake commit order", () => {
  it("gives every commit, from any number of processes at once, a distinct time, and publishes the newest", async () => {
    const home = await tempHome();
    // Four processes commit 25 batches each as fast as they can, all at the same time.
    const script = `
      import { commitBatchFile } from "${path.resolve("lake/commitClock.ts")}";
      import { homePaths } from "${path.resolve("lib/home.ts")}";
      import { writeFile } from "node:fs/promises";
      const paths = homePaths(process.argv[2]);
      for (let i = 0; i < 25; i++) {
        const tmp = paths.lakeTmp + "/p" + process.pid + "-" + i;
        await writeFile(tmp, "x");
        await commitBatchFile(paths, tmp, "gym_logins", "p" + process.pid + "-" + i);
      }`;
    const file = path.join(home, "committer.mts");
    await writeFile(file, script);
    await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), file, home], { stdio: "inherit" });
            child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`committer exited ${code}`))));
          }),
      ),
    );
    const times = await commitTimes(home, "gym_logins");
    expect(times).toHaveLength(100);
    expect(new Set(times.map(String)).size).toBe(100);
    expect(await readCommitClock(homePaths(home))).toBe(times[times.length - 1]);
  });

  it("orders batches by commit, not by their writer's clock: a batch stamped earlier but committed later comes later", async () => {
    const home = await tempHome();
    const paths = homePaths(home);
    const stage = async (name: string) => {
      const tmp = path.join(paths.lakeTmp, name);
      await writeFile(tmp, "x");
      return tmp;
    };
    // A slow writer stamped its batch in 2020; a fast one in 2030 commits first.
    const fast = await commitBatchFile(paths, await stage("fast"), "gym_logins", "20300101T000000000000Z-fast");
    const slow = await commitBatchFile(paths, await stage("slow"), "gym_logins", "20200101T000000000000Z-slow");
    expect(slow.committedAt).toBeGreaterThan(fast.committedAt);
    expect(path.basename(slow.file) > path.basename(fast.file)).toBe(true);
  });

  it("a reader's snapshot hides batches committed after it, so one run reads one consistent bronze", async () => {
    const home = await tempHome();
    const writer = await LakeWriter.open(home);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await writer.writeRows("gym_logins", [{ mac_address: "before", gym: 1, login: 1, logout: 2, _source: "t" }]);
      const snapshot = await readCommitClock(homePaths(home));
      for (const sql of bronzeViewStatements(homePaths(home).lake, { snapshotMicros: snapshot })) await connection.run(sql);
      await writer.writeRows("gym_logins", [{ mac_address: "after", gym: 1, login: 1, logout: 2, _source: "t" }]);
      const rows = (await connection.runAndReadAll("SELECT mac_address, _ingested_at IS NOT NULL AS stamped FROM bronze.gym_logins")).getRowObjects();
      expect(rows).toEqual([{ mac_address: "before", stamped: true }]);
      // A re-commit under an existing batch id keeps its place in the order (the file is replaced).
      const tmp = path.join(homePaths(home).lakeTmp, "again");
      await writeFile(tmp, "x");
      const names = await readdir(path.join(homePaths(home).bronze, "gym_logins"));
      const [, , firstId] = COMMITTED_FILE.exec(names.find((n) => COMMITTED_FILE.test(n))!)!;
      const again = await commitBatchFile(homePaths(home), tmp, "gym_logins", firstId!);
      expect(path.basename(again.file)).toBe(names.find((n) => n.endsWith(`-${firstId}.parquet`)));
    } finally {
      connection.closeSync();
      instance.closeSync();
      await writer.close();
    }
  });
});
