// The bench's yardstick: the same transformations as the Dataform project (definitions/silver, gold),
// written as plain DuckDB SQL over the bronze Parquet files, in one pass with no incremental logic,
// assertions or run bookkeeping. `pulse run` (full) is timed against running these statements in order.
// Semantics follow the models one for one; see each model's description for the why.
import { bronzeFilesAsRead } from "../../lake/lakeReader.js";
import { sqlString } from "../../lake/sqlText.js";

export interface BaselineOptions {
  /** The lake folder holding bronze/<table>/*.parquet (PULSE_HOME/lake). */
  lakeDir: string;
  /** YYYY-MM-DD for the age bins. */
  asOfDate: string;
  watermarkSeconds?: number;
}

/** Statements creating schema `baseline` with every silver and gold table; run them in order. */
export function baselineStatements({ lakeDir, asOfDate, watermarkSeconds = 30 }: BaselineOptions): string[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOfDate)) throw new Error(`asOfDate must be YYYY-MM-DD, got ${asOfDate}`);
  const bronze = (table: string) => bronzeFilesAsRead(table, `read_parquet(${sqlString(`${lakeDir}/bronze/${table}/*.parquet`)}, union_by_name = true)`);
  const ts = (x: string) => `make_timestamp(CAST(round(CAST(${x} AS DOUBLE) * 1000000) AS BIGINT))`;
  const asOf = `DATE '${asOfDate}'`;
  return [
    `CREATE SCHEMA IF NOT EXISTS baseline`,
    `CREATE OR REPLACE TABLE baseline.users AS
      SELECT user_id, device_id, mac_address, ${ts("registration_timestamp")} AS registration_timestamp
      FROM ${bronze("registered_users")}
      WHERE user_id IS NOT NULL AND device_id IS NOT NULL AND mac_address IS NOT NULL AND registration_timestamp IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY registration_timestamp, device_id, mac_address, _ingested_at) = 1`,
    `CREATE OR REPLACE TABLE baseline.gym_logs AS
      SELECT mac_address, gym, ${ts("login")} AS login, ${ts("max(logout)")} AS logout
      FROM ${bronze("gym_logins")}
      WHERE mac_address IS NOT NULL AND gym IS NOT NULL AND login IS NOT NULL
      GROUP BY mac_address, gym, login`,
    `CREATE OR REPLACE TABLE baseline.user_profile AS
      WITH events AS (
        SELECT TRY_CAST(json_extract_string(value, '$.user_id') AS BIGINT) AS user_id,
          lower(json_extract_string(value, '$.update_type')) AS update_type,
          ${ts("TRY_CAST(json_extract_string(value, '$.timestamp') AS DOUBLE)")} AS updated,
          CAST(try_strptime(json_extract_string(value, '$.dob'), '%m/%d/%Y') AS DATE) AS dob,
          json_extract_string(value, '$.sex') AS sex, json_extract_string(value, '$.gender') AS gender,
          json_extract_string(value, '$.first_name') AS first_name, json_extract_string(value, '$.last_name') AS last_name,
          json_extract_string(value, '$.address.street_address') AS street_address,
          json_extract_string(value, '$.address.city') AS city, json_extract_string(value, '$.address.state') AS state,
          json_extract_string(value, '$.address.zip') AS zip,
          "offset", message_id, _ingested_at
        FROM ${bronze("kafka_multiplex")} WHERE topic = 'user_info'
      ), latest AS (
        SELECT * FROM events WHERE user_id IS NOT NULL AND update_type IS NOT NULL AND updated IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY updated DESC, "offset" DESC NULLS LAST, message_id DESC NULLS LAST, _ingested_at) = 1
      )
      SELECT user_id, dob, sex, gender, first_name, last_name, street_address, city, state, zip, updated
      FROM latest WHERE update_type <> 'delete'`,
    `CREATE OR REPLACE TABLE baseline.workouts AS
      WITH events AS (
        SELECT TRY_CAST(json_extract_string(value, '$.user_id') AS BIGINT) AS user_id,
          TRY_CAST(json_extract_string(value, '$.workout_id') AS BIGINT) AS workout_id,
          TRY_CAST(json_extract_string(value, '$.session_id') AS BIGINT) AS session_id,
          lower(json_extract_string(value, '$.action')) AS action,
          ${ts("TRY_CAST(json_extract_string(value, '$.timestamp') AS DOUBLE)")} AS time, _ingested_at
        FROM ${bronze("kafka_multiplex")} WHERE topic = 'workout'
      )
      SELECT user_id, workout_id, session_id, action, time FROM events
      WHERE user_id IS NOT NULL AND workout_id IS NOT NULL AND session_id IS NOT NULL AND action IN ('start', 'stop') AND time IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY user_id, workout_id, session_id, action ORDER BY time, _ingested_at) = 1`,
    `CREATE OR REPLACE TABLE baseline.heart_rate AS
      WITH readings AS (
        SELECT TRY_CAST(json_extract_string(value, '$.device_id') AS BIGINT) AS device_id,
          ${ts("TRY_CAST(json_extract_string(value, '$.time') AS DOUBLE)")} AS time,
          TRY_CAST(json_extract_string(value, '$.heartrate') AS DOUBLE) AS heartrate, _ingested_at
        FROM ${bronze("kafka_multiplex")} WHERE topic = 'bpm'
      )
      SELECT device_id, time, heartrate, coalesce(heartrate > 0, false) AS valid FROM readings
      WHERE device_id IS NOT NULL AND time IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY device_id, time ORDER BY heartrate DESC NULLS LAST, _ingested_at) = 1`,
    `CREATE OR REPLACE TABLE baseline.completed_workouts AS
      SELECT s.user_id, s.workout_id, s.session_id, s.time AS start_time, e.time AS end_time
      FROM baseline.workouts s JOIN baseline.workouts e
        ON s.user_id = e.user_id AND s.workout_id = e.workout_id AND s.session_id = e.session_id
      WHERE s.action = 'start' AND e.action = 'stop' AND e.time > s.time
        AND date_diff('microsecond', s.time, e.time) / 1000000 < 10800`,
    `CREATE OR REPLACE TABLE baseline.workout_bpm AS
      SELECT c.user_id, c.workout_id, c.session_id, hr.time, c.start_time, c.end_time, hr.heartrate
      FROM baseline.completed_workouts c
      JOIN baseline.users u ON u.user_id = c.user_id
      JOIN baseline.heart_rate hr ON hr.device_id = u.device_id AND hr.time > c.start_time AND hr.time <= c.end_time
      WHERE hr.valid`,
    `CREATE OR REPLACE TABLE baseline.user_bins AS
      WITH ages AS (
        SELECT user_id, gender, city, state,
          CASE WHEN dob <= ${asOf} THEN year(${asOf}) - year(dob)
            - CASE WHEN month(${asOf}) * 100 + day(${asOf}) < month(dob) * 100 + day(dob) THEN 1 ELSE 0 END END AS years
        FROM baseline.user_profile
      )
      SELECT user_id,
        CASE WHEN years IS NULL THEN 'invalid age' WHEN years < 18 THEN 'under 18' WHEN years < 25 THEN '18-25'
          WHEN years < 35 THEN '25-35' WHEN years < 45 THEN '35-45' WHEN years < 55 THEN '45-55' WHEN years < 65 THEN '55-65'
          WHEN years < 75 THEN '65-75' WHEN years < 85 THEN '75-85' WHEN years < 95 THEN '85-95' ELSE '95+' END AS age,
        gender, city, state
      FROM ages`,
    `CREATE OR REPLACE TABLE baseline.date_lookup AS
      WITH d AS (SELECT CAST(generate_series AS DATE) AS date FROM generate_series(DATE '2020-01-01', DATE '2035-12-31', INTERVAL 1 DAY)),
      p AS (SELECT date, year(date) AS year, month(date) AS month, dayofweek(date) + 1 AS dayofweek, day(date) AS dayofmonth, dayofyear(date) AS dayofyear FROM d)
      SELECT date, CAST(floor((dayofyear - (dayofweek - 1) + 5) / 7) AS BIGINT) + 1 AS week, year, month, dayofweek, dayofmonth, dayofyear,
        year || '-' || (CAST(floor((dayofyear - (dayofweek - 1) + 5) / 7) AS BIGINT) + 1) AS week_part
      FROM p`,
    `CREATE OR REPLACE TABLE baseline.workout_bpm_summary AS
      WITH complete AS (
        SELECT user_id, workout_id, session_id FROM baseline.completed_workouts
        WHERE end_time <= (SELECT max(end_time) - INTERVAL ${watermarkSeconds} SECOND FROM baseline.workout_bpm)
      ), stats AS (
        SELECT b.user_id, b.workout_id, b.session_id, min(heartrate) AS min_bpm,
          sum(CAST(round(heartrate * 1000000) AS BIGINT)) / count(*) / 1000000 AS avg_bpm,
          max(heartrate) AS max_bpm, count(*) AS num_recordings
        FROM baseline.workout_bpm b JOIN complete c USING (user_id, workout_id, session_id)
        GROUP BY b.user_id, b.workout_id, b.session_id
      )
      SELECT s.user_id, s.workout_id, s.session_id, ub.age, ub.gender, ub.city, ub.state, min_bpm, avg_bpm, max_bpm, num_recordings
      FROM stats s JOIN baseline.user_bins ub USING (user_id)`,
    `CREATE OR REPLACE VIEW baseline.gym_summary AS
      SELECT CAST(v.login AS DATE) AS date, v.gym, v.mac_address, c.workout_id, c.session_id,
        round(date_diff('microsecond', v.login, v.logout) / 1000000 / 60, 2) AS minutes_in_gym,
        round(date_diff('microsecond', c.start_time, c.end_time) / 1000000 / 60, 2) AS minutes_exercising
      FROM baseline.completed_workouts c
      JOIN baseline.users u ON u.user_id = c.user_id
      JOIN baseline.gym_logs v ON v.mac_address = u.mac_address AND v.login <= c.start_time AND c.start_time <= v.logout
      ORDER BY date, gym, mac_address, session_id`,
  ];
}
