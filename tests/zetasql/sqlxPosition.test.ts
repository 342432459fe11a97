import { expect, it } from "vitest";
import { sqlxPosition } from "../../runner/check/sqlxPosition.js";

const source = [
  'config { type: "table" }', // 1
  "", // 2
  "SELECT", // 3
  "  user_id,", // 4
  '  ${dialect.epochToTimestamp("login")} AS login_at,', // 5
  '  ${when(incremental(), "x")}', // 6
  "  user_id,", // 7
  'FROM ${ref("users")}', // 8
].join("\n");

const statement = [
  "create or replace table `p.s.t` as", // 1
  "SELECT", // 2
  "    user_id,", // 3
  "    TIMESTAMP_SECONDS(login) AS login_at,", // 4
  "    ", // 5
  "    user_id,", // 6
  "FROM `p.s.users`", // 7
].join("\n");

it("maps a verbatim line to its line and column in the SQLX, across a change of indentation", () => {
  expect(sqlxPosition(source, statement, 3, 5)).toEqual({ line: 4, column: 3, exact: true });
});

it("maps the n-th occurrence of a repeated line to the n-th in the file", () => {
  expect(sqlxPosition(source, statement, 6, 5)).toEqual({ line: 7, column: 3, exact: true });
});

it("maps a line with rendered ${...} to its line, exact only before the first expression", () => {
  expect(sqlxPosition(source, statement, 7, 1)).toEqual({ line: 8, column: 1, exact: true });
  expect(sqlxPosition(source, statement, 7, 6)).toEqual({ line: 8, column: 1, exact: false });
  expect(sqlxPosition(source, statement, 4, 5)).toEqual({ line: 5, column: 3, exact: false });
});

it("does not map lines it cannot identify", () => {
  expect(sqlxPosition(source, statement, 5, 1)).toBeUndefined();
  expect(sqlxPosition(source, statement, 1, 1)).toBeUndefined();
  expect(sqlxPosition(source, statement, 99, 1)).toBeUndefined();
});
