import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPortOpen, stopService } from "../../services/process.js";
import { postgresDataDir, postgresUrl, startPostgres } from "../../services/postgres.js";
import { ensurePostgresDemo } from "../../services/postgresDemo.js";
import { sql } from "./postgresTestDb.js";

// A private cluster on its own port, so stopping it leaves the shared one (55432) alone.
const PORT = 55_400 + Math.floor(Math.random() * 30);
const dir = await mkdtemp(path.join(os.tmpdir(), "pulse-postgres-service-"));
const pidFile = path.join(dir, "postgres.pid");
afterAll(async () => {
  await stopService(pidFile, 30_000, "SIGINT");
  await rm(postgresDataDir(PORT, dir), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

describe("the PostgreSQL service", () => {
  it("creates a cluster, starts it on loopback with the demo tables, stops it, and starts again on the same data", async () => {
    const log: string[] = [];
    await startPostgres({ port: PORT, dir, pidFile, log: (line) => log.push(line) });
    expect(log.join("\n")).toMatch(/initdb/);
    await ensurePostgresDemo(postgresUrl(PORT, "postgres"));
    const url = postgresUrl(PORT, "pulse_demo");
    const columns = await sql(
      url,
      "SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) AS columns FROM information_schema.columns WHERE table_schema = 'public' GROUP BY 1 ORDER BY 1",
    );
    expect(columns).toEqual([
      { table_name: "gym_logins", columns: "id,mac_address,gym,login,logout,updated_at" },
      { table_name: "registered_users", columns: "id,user_id,device_id,mac_address,registration_timestamp,updated_at" },
    ]);
    await sql(url, "INSERT INTO gym_logins (mac_address, gym, login) VALUES ('m', 1, 10)");
    const [before] = await sql(url, "SELECT updated_at FROM gym_logins");
    await sql(url, "UPDATE gym_logins SET logout = 20");
    const [after] = await sql(url, "SELECT updated_at FROM gym_logins");
    expect((after!.updated_at as Date).getTime()).toBeGreaterThan((before!.updated_at as Date).getTime());

    expect(await stopService(pidFile, 30_000, "SIGINT")).toBe(true);
    expect(await isPortOpen(PORT)).toBe(false);
    const again: string[] = [];
    await startPostgres({ port: PORT, dir, pidFile, log: (line) => again.push(line) });
    expect(again.join("\n")).not.toMatch(/initdb/);
    expect(await sql(url, "SELECT logout FROM gym_logins")).toEqual([{ logout: 20 }]);
  });
});
