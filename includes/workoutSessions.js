// Workout sessions whose window or wearer may have changed since `since` (an _ingested_at bound): a workout event
// of the session (start, stop, correction) or a registration of its user. silver.workout_bpm deletes and
// recomputes their rows, as some may no longer belong; gold.workout_bpm_summary finds among them the sessions
// left without rows. `ref` is the calling action's ref, so the tables read become its dependencies.
function resetSessions(ref, since) {
  return `
      SELECT user_id, workout_id, session_id
      FROM ${ref("workouts")}
      WHERE _ingested_at > ${since}
      UNION DISTINCT
      SELECT cw.user_id, cw.workout_id, cw.session_id
      FROM ${ref("completed_workouts")} AS cw
      INNER JOIN ${ref("users")} AS u ON cw.user_id = u.user_id
      WHERE u._ingested_at > ${since}`;
}

module.exports = { resetSessions };
