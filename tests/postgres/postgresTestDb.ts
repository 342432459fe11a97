import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { POSTGRES_PORT } from "../../services/services.js";
import { postgresUrl } from "../../services/postgres.js";
import { ensurePostgresDemo } from "../../services/postgresDemo.js";

const ADMIN_URL = postgresUrl(POSTGRES_PORT, "postgres");
const made: string[] = [];

// Databases of the test file are dropped at its end (FORCE: a killed ingest may leave a session behind).
afterAll(async () => {
  for (const db of made) await sql(ADMIN_URL, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db)} WITH (FORCE)`);
});

/**
 * A fresh database with the demo tables on the services' PostgreSQL (tests/ingest/globalSetup.ts starts it), so
 * test files running at once never share rows. Returns its URL.
 */
export async function demoDatabase(name: string): Promise<string> {
  const db = `t_${name}_${randomBytes(4).toString("hex")}`;
  made.push(db);
  await ensurePostgresDemo(ADMIN_URL, db);
  return postgresUrl(POSTGRES_PORT, db);
}

/** Runs one statement (or several, without parameters) and returns its rows. */
export async function sql(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(text, params);
    return (Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
