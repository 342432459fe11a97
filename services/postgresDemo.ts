import pg from "pg";

/** The demo database `services:up` creates on the project's PostgreSQL cluster (brief §6: the CSV columns plus a cursor). */
export const POSTGRES_DEMO_DATABASE = "pulse_demo";

/**
 * The demo tables: the landing CSV columns (times as epoch seconds in `double precision`, so a value copies into
 * bronze bit for bit, as from a CSV file), a `bigserial` key, and `updated_at`, the incremental cursor: set on insert
 * and by a trigger on every update, so a later logout is copied again as a new version of its row. Columns are
 * nullable like CSV fields: a row failing bronze's checks is the ingest's to dead-letter, not the database's to refuse.
 */
export const POSTGRES_DEMO_SCHEMA_SQL = `
CREATE OR REPLACE FUNCTION pulse_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END $$;
CREATE TABLE IF NOT EXISTS registered_users (
  id bigserial PRIMARY KEY,
  user_id bigint,
  device_id bigint,
  mac_address text,
  registration_timestamp double precision,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS registered_users_updated_at ON registered_users (updated_at);
CREATE OR REPLACE TRIGGER registered_users_touch BEFORE UPDATE ON registered_users FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TABLE IF NOT EXISTS gym_logins (
  id bigserial PRIMARY KEY,
  mac_address text,
  gym bigint,
  login double precision,
  logout double precision,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS gym_logins_updated_at ON gym_logins (updated_at);
CREATE OR REPLACE TRIGGER gym_logins_touch BEFORE UPDATE ON gym_logins FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
`;

/** Creates the demo database and its tables when missing (idempotent). `adminUrl` names any database of the cluster. */
export async function ensurePostgresDemo(adminUrl: string, database = POSTGRES_DEMO_DATABASE): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const demo = new pg.Client({ connectionString: url.toString() });
  await demo.connect();
  try {
    await demo.query(POSTGRES_DEMO_SCHEMA_SQL);
  } finally {
    await demo.end();
  }
}
