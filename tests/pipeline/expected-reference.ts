// Expected results of the reference data set (tests/fixtures/reference-data), landed as set 1 and run, then
// set 2 and run, with var as_of_date = 2024-01-01. Derived from the input files, not from the SQL:
// expectedReference.test.ts recomputes every figure below from the raw files with plain TypeScript.
//
// How each figure follows from the files:
// - bronze: one row per data line. registered_users 5 + 5 (set 1 ends with blank lines, which are not
//   rows); gym_logins 8 + 8; kafka_multiplex = user_info 7 + workout 16 + bpm 253,801 = 253,824 for set 1,
//   + 6 + 16 + 253,801 = 507,647 after set 2. No line is malformed, so no dead letters.
// - silver: every user registers once (users 5 / 10), has one `new` profile event and no delete
//   (user_profile 5 / 10); every gym login row is a distinct visit (8 / 16); workout events 16 / 32, all
//   distinct keys; 8 / 16 start+stop pairs, each stop 2,100..3,900 s after its start (< 3 h), so all
//   complete; readings are distinct (device, second) pairs: 253,801 / 507,602.
// - workout_bpm: only devices 118440 (user 12474) and 175406 (user 14633) send readings, one per second,
//   covering their sessions, so a session (start, end] holds end - start readings: 12474/1/1
//   1678525800 - 1678521900 = 3,900; 14633/1/1 1678610700 - 1678608300 = 2,400; 14633/1/2
//   1678646100 - 1678644300 = 1,800. Set 1: 3,900 rows; after set 2: 8,100.
// - workout_bpm_summary: a session is summarized once its end_time is at most the newest end_time among the
//   sessions with readings, minus 30 s, and only while its user has a profile (all of them do). Set 1: the
//   only session with readings is 12474/1/1, which sets the watermark itself (its end - 30 s): 0 rows. After
//   set 2 the newest is 14633/1/2 (end 1678646100): 12474/1/1 and 14633/1/1 are complete, 14633/1/2 is not:
//   2 rows. min/max/avg are over the same readings; avg to 1e-6 bpm (the pipeline sums heart rates rounded
//   to 1e-6, see the model). Ages on 2024-01-01: 12474 born 07/25/1939 -> 84 -> 75-85; 14633 born
//   09/04/1997 -> 26 -> 25-35.
// - gym_summary: each session's user's MAC has exactly one visit with login <= start <= logout; minutes
//   are (logout - login) / 60 and (stop - start) / 60, e.g. 4c:c5:9f:cb:13:bd: (1678526100 - 1678521600) / 60
//   = 75, (1678525800 - 1678521900) / 60 = 65; date is the login's UTC date.

export interface SummaryRow {
  user_id: number;
  workout_id: number;
  session_id: number;
  age: string;
  gender: string;
  city: string;
  state: string;
  min_bpm: number;
  avg_bpm: number;
  max_bpm: number;
  num_recordings: number;
}

export interface GymRow {
  date: string;
  gym: number;
  mac_address: string;
  workout_id: number;
  session_id: number;
  minutes_in_gym: number;
  minutes_exercising: number;
}

export interface ExpectedReference {
  bronze: Record<"registered_users" | "gym_logins" | "kafka_multiplex" | "dead_letters", number>;
  silver: Record<"users" | "gym_logs" | "user_profile" | "workouts" | "heart_rate" | "completed_workouts" | "workout_bpm" | "user_bins", number>;
  workoutBpmSummary: SummaryRow[];
  /** In the view's order: date, gym, mac_address, session_id. */
  gymSummary: GymRow[];
}

/** Compare avg_bpm with this tolerance; min/max/counts/minutes exactly. */
export const AVG_BPM_TOLERANCE = 1e-6;

export const AS_OF_DATE = "2024-01-01";

const SESSION_12474_1: SummaryRow = {
  user_id: 12474,
  workout_id: 1,
  session_id: 1,
  age: "75-85",
  gender: "M",
  city: "San Fernando",
  state: "CA",
  min_bpm: 35.003105735835994,
  avg_bpm: 64.64236486026886,
  max_bpm: 94.98191173214704,
  num_recordings: 3900,
};

const GYM_SET_1: GymRow[] = [
  { date: "2023-03-11", gym: 1, mac_address: "57:24:ac:8c:75:ea", workout_id: 1, session_id: 1, minutes_in_gym: 75, minutes_exercising: 65 },
  { date: "2023-03-11", gym: 1, mac_address: "ae:ec:f6:48:ca:f7", workout_id: 1, session_id: 1, minutes_in_gym: 45, minutes_exercising: 35 },
  { date: "2023-03-11", gym: 3, mac_address: "36:1f:d9:d3:e8:0d", workout_id: 1, session_id: 1, minutes_in_gym: 75, minutes_exercising: 65 },
  { date: "2023-03-11", gym: 3, mac_address: "36:1f:d9:d3:e8:0d", workout_id: 1, session_id: 2, minutes_in_gym: 60, minutes_exercising: 50 },
  { date: "2023-03-11", gym: 5, mac_address: "14:cd:d6:db:70:f6", workout_id: 1, session_id: 1, minutes_in_gym: 70, minutes_exercising: 60 },
  { date: "2023-03-11", gym: 5, mac_address: "14:cd:d6:db:70:f6", workout_id: 1, session_id: 2, minutes_in_gym: 55, minutes_exercising: 45 },
  { date: "2023-03-11", gym: 5, mac_address: "4c:c5:9f:cb:13:bd", workout_id: 1, session_id: 1, minutes_in_gym: 75, minutes_exercising: 65 },
  { date: "2023-03-11", gym: 5, mac_address: "57:24:ac:8c:75:ea", workout_id: 1, session_id: 2, minutes_in_gym: 72, minutes_exercising: 63 },
];

export const EXPECTED_AFTER_SET_1: ExpectedReference = {
  bronze: { registered_users: 5, gym_logins: 8, kafka_multiplex: 253_824, dead_letters: 0 },
  silver: {
    users: 5,
    gym_logs: 8,
    user_profile: 5,
    workouts: 16,
    heart_rate: 253_801,
    completed_workouts: 8,
    workout_bpm: 3_900,
    user_bins: 5,
  },
  workoutBpmSummary: [],
  gymSummary: GYM_SET_1,
};

export const EXPECTED_AFTER_SET_2: ExpectedReference = {
  bronze: { registered_users: 10, gym_logins: 16, kafka_multiplex: 507_647, dead_letters: 0 },
  silver: {
    users: 10,
    gym_logs: 16,
    user_profile: 10,
    workouts: 32,
    heart_rate: 507_602,
    completed_workouts: 16,
    workout_bpm: 8_100,
    user_bins: 10,
  },
  workoutBpmSummary: [
    SESSION_12474_1,
    {
      user_id: 14633,
      workout_id: 1,
      session_id: 1,
      age: "25-35",
      gender: "F",
      city: "Gardena",
      state: "CA",
      min_bpm: 35.004431967032566,
      avg_bpm: 64.25011389628303,
      max_bpm: 94.91127071588053,
      num_recordings: 2400,
    },
  ],
  gymSummary: [
    ...GYM_SET_1,
    { date: "2023-03-12", gym: 1, mac_address: "1d:69:69:75:d0:aa", workout_id: 1, session_id: 1, minutes_in_gym: 50, minutes_exercising: 40 },
    { date: "2023-03-12", gym: 1, mac_address: "dd:96:be:e9:1e:f4", workout_id: 1, session_id: 2, minutes_in_gym: 71, minutes_exercising: 60 },
    { date: "2023-03-12", gym: 1, mac_address: "df:f9:dc:5e:e2:a8", workout_id: 1, session_id: 1, minutes_in_gym: 60, minutes_exercising: 50 },
    { date: "2023-03-12", gym: 3, mac_address: "1d:69:69:75:d0:aa", workout_id: 1, session_id: 2, minutes_in_gym: 40, minutes_exercising: 30 },
    { date: "2023-03-12", gym: 3, mac_address: "dd:96:be:e9:1e:f4", workout_id: 1, session_id: 1, minutes_in_gym: 48, minutes_exercising: 40 },
    { date: "2023-03-12", gym: 3, mac_address: "df:f9:dc:5e:e2:a8", workout_id: 1, session_id: 2, minutes_in_gym: 43, minutes_exercising: 35 },
    { date: "2023-03-12", gym: 5, mac_address: "dd:45:d2:37:a8:0e", workout_id: 1, session_id: 1, minutes_in_gym: 55, minutes_exercising: 46 },
    { date: "2023-03-12", gym: 5, mac_address: "de:c0:cd:a7:71:f4", workout_id: 1, session_id: 1, minutes_in_gym: 70, minutes_exercising: 60 },
  ],
};
