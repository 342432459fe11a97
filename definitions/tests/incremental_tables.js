// Unit tests of incremental tables. Dataform's own compiler refuses tests whose dataset is incremental,
// so they are registered only when pulse compiles (pulse renders them from the table's first-run query);
// the official `dataform compile` never sees them and stays error-free.
if (dialect.compiledByPulse) {
  const at = (t) => `TIMESTAMP '${t}'`;
  const loaded = at("2023-03-12 00:00:00");

  // CDC ordering: newest event time wins whatever the offsets; equal times go to the later offset; a
  // delete newer than everything else stays as the winner (tombstone); an exact replay keeps the first
  // load; other topics are ignored.
  const userInfo = (userId, type, ts, city, offset, ingestedAt = "2023-03-12 00:00:00") =>
    `SELECT 'user_info' AS topic,
       '{"user_id": ${userId}, "update_type": "${type}", "timestamp": ${ts}, "dob": "07/25/1939", "gender": "M", "address": {"city": "${city}"}}' AS value,
       ${offset} AS ${dialect.quote("offset")}, 'user_info/0/${offset}' AS message_id, ${at(ingestedAt)} AS _ingested_at`;
  test("user_profile_latest_cdc_ordering")
    .dataset("user_profile_latest")
    .input(
      "kafka_multiplex",
      [
        userInfo(1, "new", "1678451100", "First", 1),
        userInfo(1, "update", "1678451200.0", "Newest", 2),
        userInfo(1, "update", "1678451150", "OlderButLaterOffset", 3),
        userInfo(2, "new", "1678451100", "Gone", 4),
        userInfo(2, "delete", "1678451300", "", 5),
        userInfo(2, "update", "1678451250", "TooLate", 6),
        userInfo(3, "new", "1678451100", "TieLowOffset", 7),
        userInfo(3, "update", "1678451100", "TieHighOffset", 8),
        userInfo(4, "new", "1678451100", "Replayed", 9, "2023-03-12 00:00:00"),
        userInfo(4, "new", "1678451100", "Replayed", 9, "2023-03-12 00:05:00"),
        `SELECT 'bpm', '{"user_id": 5, "update_type": "new", "timestamp": 1678451100}', 10, 'bpm/0/10', ${loaded}`,
      ].join("\nUNION ALL\n"),
    )
    .expect(
      [
        ["1", "update", "2023-03-10 12:26:40", "Newest", 2],
        ["2", "delete", "2023-03-10 12:28:20", "", 5],
        ["3", "update", "2023-03-10 12:25:00", "TieHighOffset", 8],
        ["4", "new", "2023-03-10 12:25:00", "Replayed", 9],
      ]
        .map(
          ([userId, type, updated, city, offset]) =>
            `SELECT ${userId} AS user_id, '${type}' AS update_type, ${at(updated)} AS updated, DATE '1939-07-25' AS dob,
         CAST(NULL AS ${dialect.type("string")}) AS sex, 'M' AS gender,
         CAST(NULL AS ${dialect.type("string")}) AS first_name, CAST(NULL AS ${dialect.type("string")}) AS last_name,
         CAST(NULL AS ${dialect.type("string")}) AS street_address, '${city}' AS city,
         CAST(NULL AS ${dialect.type("string")}) AS state, CAST(NULL AS ${dialect.type("string")}) AS zip,
         ${offset} AS _offset, 'user_info/0/${offset}' AS _message_id, ${loaded} AS _ingested_at`,
        )
        .join("\nUNION ALL\n"),
    );

  // The (start_time, end_time] window: a reading at the start is out, at the end is in, one second
  // outside either end is out; invalid readings and other devices' readings are out.
  const reading = (device, t, hr, valid) => `SELECT ${device} AS device_id, ${at(t)} AS time, ${hr} AS heartrate, ${valid} AS valid, ${loaded} AS _ingested_at`;
  test("workout_bpm_window_edges")
    .dataset("workout_bpm")
    .input(
      "completed_workouts",
      `SELECT 1 AS user_id, 1 AS workout_id, 1 AS session_id, ${at("2023-03-11 08:00:00")} AS start_time, ${at("2023-03-11 09:00:00")} AS end_time, ${loaded} AS _ingested_at`,
    )
    .input("users", `SELECT 1 AS user_id, 100 AS device_id, ${loaded} AS _ingested_at`)
    .input(
      "heart_rate",
      [
        reading(100, "2023-03-11 07:59:59", 70.0, true),
        reading(100, "2023-03-11 08:00:00", 71.0, true),
        reading(100, "2023-03-11 08:00:01", 72.0, true),
        reading(100, "2023-03-11 08:30:00", -1.0, false),
        reading(100, "2023-03-11 09:00:00", 73.0, true),
        reading(100, "2023-03-11 09:00:01", 74.0, true),
        reading(200, "2023-03-11 08:30:00", 75.0, true),
      ].join("\nUNION ALL\n"),
    )
    .expect(
      [
        ["2023-03-11 08:00:01", 72.0],
        ["2023-03-11 09:00:00", 73.0],
      ]
        .map(
          ([t, hr]) =>
            `SELECT 1 AS user_id, 1 AS workout_id, 1 AS session_id, ${at(t)} AS time, ${at("2023-03-11 08:00:00")} AS start_time,
         ${at("2023-03-11 09:00:00")} AS end_time, ${hr} AS heartrate, ${loaded} AS _ingested_at, FALSE AS _replaced_row,
         ${at("1970-01-01 00:00:00")} AS _merged_since`,
        )
        .join("\nUNION ALL\n"),
    );
}
