import type { PiiColumn } from "../access/piiColumns.js";
import { maskedColumn } from "../access/roleViews.js";
import { sqlIdentifier } from "../lake/sqlText.js";
import type { BoundQuery } from "./warehouseReader.js";
import { HISTORY_SCHEMA } from "../runner/history/runHistory.js";

/**
 * Every SQL text `pulse serve` runs is fixed here; request values reach DuckDB only as bound parameters.
 * Each chart names the tables it reads in `reads`, which the page prints beside it.
 */
export interface DashboardFilters {
  from: string | null;
  to: string | null;
  gym: number | null;
  age: string | null;
}

/** Sessions of gold.workout_bpm_summary passing the filters; the date is the session's start (silver.completed_workouts). */
const FILTERED_SESSIONS = `with sessions as (
  select s.*, c.start_time
  from gold.workout_bpm_summary s
  join silver.completed_workouts c using (user_id, workout_id, session_id)
  where ($1::date is null or cast(c.start_time as date) >= $1::date)
    and ($2::date is null or cast(c.start_time as date) <= $2::date)
    and ($3::bigint is null or exists (
      select 1 from gold.gym_summary g join silver.users u on u.mac_address = g.mac_address
      where u.user_id = s.user_id and g.workout_id = s.workout_id and g.session_id = s.session_id and g.gym = $3::bigint))
    and ($4::varchar is null or s.age = $4::varchar)
)`;

/** Workouts of gold.gym_summary passing the filters, with the hour their workout started. */
const FILTERED_GYM_WORKOUTS = `with workouts as (
  select g.*, hour(c.start_time) as hour
  from gold.gym_summary g
  join silver.users u on u.mac_address = g.mac_address
  join silver.completed_workouts c on c.user_id = u.user_id and c.workout_id = g.workout_id and c.session_id = g.session_id
  left join silver.user_bins b on b.user_id = u.user_id
  where ($1::date is null or g.date >= $1::date)
    and ($2::date is null or g.date <= $2::date)
    and ($3::bigint is null or g.gym = $3::bigint)
    and ($4::varchar is null or b.age = $4::varchar)
)`;

export const DASHBOARD_CHARTS = {
  bpmByBin: {
    reads: "gold.workout_bpm_summary (dates from silver.completed_workouts)",
    sql: `${FILTERED_SESSIONS}
select coalesce(age, '(no profile)') as age, coalesce(gender, '(no profile)') as gender, count(*) as sessions,
  min(min_bpm) as min_bpm, round(avg(avg_bpm), 1) as avg_bpm, max(max_bpm) as max_bpm
from sessions group by all order by age, gender`,
  },
  bpmDistribution: {
    reads: "gold.workout_bpm_summary",
    sql: `${FILTERED_SESSIONS}
select coalesce(age, '(no profile)') as age, coalesce(gender, '(no profile)') as gender, avg_bpm
from sessions order by age, gender, avg_bpm limit 50000`,
  },
  sessionsPerDay: {
    reads: "gold.workout_bpm_summary (dates from silver.completed_workouts)",
    sql: `${FILTERED_SESSIONS}
select strftime(cast(start_time as date), '%Y-%m-%d') as day, count(*) as sessions from sessions group by all order by day`,
  },
  gymUsage: {
    reads: "gold.gym_summary (hour of the workout's start from silver.completed_workouts)",
    sql: `${FILTERED_GYM_WORKOUTS}
select gym, hour, count(*) as workouts, round(sum(minutes_in_gym), 2) as minutes_in_gym, round(sum(minutes_exercising), 2) as minutes_exercising
from workouts group by all order by gym, hour`,
  },
  topSessions: {
    reads: "gold.workout_bpm_summary",
    sql: `${FILTERED_SESSIONS}
select user_id, workout_id, session_id, age, gender, strftime(start_time, '%Y-%m-%d %H:%M') as start, round(avg_bpm, 1) as avg_bpm, min_bpm, max_bpm, num_recordings
from sessions order by avg_bpm desc, user_id, workout_id, session_id limit 10`,
  },
  bottomSessions: {
    reads: "gold.workout_bpm_summary",
    sql: `${FILTERED_SESSIONS}
select user_id, workout_id, session_id, age, gender, strftime(start_time, '%Y-%m-%d %H:%M') as start, round(avg_bpm, 1) as avg_bpm, min_bpm, max_bpm, num_recordings
from sessions order by avg_bpm asc, user_id, workout_id, session_id limit 10`,
  },
} as const;
export type ChartName = keyof typeof DASHBOARD_CHARTS;

export function dashboardQueries(filters: DashboardFilters): BoundQuery[] {
  const params = [filters.from, filters.to, filters.gym, filters.age];
  return Object.values(DASHBOARD_CHARTS).map((chart) => ({ sql: chart.sql, params }));
}

/** The choices the filters offer. */
export const FILTER_OPTIONS: BoundQuery[] = [
  { sql: "select distinct gym from gold.gym_summary order by gym" },
  { sql: "select distinct age from gold.workout_bpm_summary where age is not null order by age" },
  {
    sql: `select strftime(min(cast(start_time as date)), '%Y-%m-%d') as first_day, strftime(max(cast(start_time as date)), '%Y-%m-%d') as last_day
          from silver.completed_workouts`,
  },
];

/** Whether there is any run history (and the gold tables the dashboard reads). */
export const HISTORY_EXISTS: BoundQuery = {
  sql: `select
    (select count(*) from duckdb_tables() where schema_name = '${HISTORY_SCHEMA}' and table_name = 'runs') as history,
    (select count(*) from duckdb_tables() where schema_name = 'gold' and table_name = 'workout_bpm_summary')
      + (select count(*) from duckdb_views() where schema_name = 'gold' and view_name = 'gym_summary') as gold`,
};

/** The newest result of every action, and when it last succeeded. */
export const LAST_ACTION_RESULTS: BoundQuery = {
  sql: `select a.action, a.status, a.rows, a.seconds, a.error, a.skipped_because,
      strftime(r.finished_at, '%Y-%m-%dT%H:%M:%SZ') as finished_at,
      (select strftime(max(r2.finished_at), '%Y-%m-%dT%H:%M:%SZ') from ${HISTORY_SCHEMA}.action_results a2 join ${HISTORY_SCHEMA}.runs r2 using (run_id)
        where a2.action = a.action and a2.status = 'success') as last_success
    from ${HISTORY_SCHEMA}.action_results a join ${HISTORY_SCHEMA}.runs r using (run_id)
    qualify row_number() over (partition by a.action order by r.started_at desc) = 1`,
};

export const RUN_HISTORY: BoundQuery = {
  sql: `select run_id, strftime(started_at, '%Y-%m-%dT%H:%M:%S.%gZ') as started_at, status, command, actions, succeeded, failed, skipped,
      round(epoch_ms(finished_at) / 1000 - epoch_ms(started_at) / 1000, 3) as seconds
    from ${HISTORY_SCHEMA}.runs order by started_at desc limit 100`,
};

/** Row count and newest load of a relation; `relation` is a quoted name taken from the compiled graph, never from a request. */
export function relationStats(relation: string, hasIngestedAt: boolean): BoundQuery {
  return {
    sql: `select count(*) as row_count${hasIngestedAt ? `, strftime(max(_ingested_at), '%Y-%m-%dT%H:%M:%SZ') as newest_load` : ", null as newest_load"} from ${relation}`,
  };
}

/**
 * Ten rows of a relation, its PII columns masked as a role without clearance sees them (access.yaml; hash or null per
 * the column's policy tag): the page is for analysts, and `pulse docs build` output is shared as a CI artifact.
 */
export function sampleRows(relation: string, columns: { name: string; type: string }[], pii: PiiColumn[]): BoundQuery {
  const masking = new Map(pii.map((c) => [c.column.toLowerCase(), c.masking]));
  const select = columns.map(({ name, type }) => {
    const masked = masking.get(name.toLowerCase());
    return masked ? maskedColumn(name, type, masked) : sqlIdentifier(name);
  });
  return { sql: `select ${select.join(", ")} from ${relation} limit 10` };
}

/** Column names and types of one relation (bound: schema, name). */
export function relationColumns(schema: string, name: string): BoundQuery {
  return {
    sql: "select column_name as name, data_type as type from duckdb_columns() where schema_name = $1 and table_name = $2 order by column_index",
    params: [schema, name],
  };
}
