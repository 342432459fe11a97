import { appendFileSync, rmSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { loadLandingOnce } from "../../ingest/landing/loadLanding.js";
import { countRows, land, landReference, REFERENCE, tempHome } from "../landing/landingTestHome.js";
import { handOver, ownedTempDir, pulseCli } from "./adversarialHome.js";

const USERS_HEADER = "user_id,device_id,mac_address,registration_timestamp";
const usersCsv = (n: number, from = 1) => [USERS_HEADER, ...Array.from({ length: n }, (_, i) => `${from + i},${from + i},aa:${i},1678410000`)].join("\n") + "\n";
/** Bytes no message may carry: ESC and BEL start and end terminal escape sequences. */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point of this check
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

async function filesUnder(folder: string): Promise<string[]> {
  return (await readdir(folder, { recursive: true })).map((name) => path.join(folder, name));
}

describe("the landing zone is a boundary", () => {
  it("leaves a file the loading user cannot read, with the reason, loads the rest, and exits 3", async () => {
    const root = path.join(ownedTempDir("pulse-adv-unreadable-"), "home");
    // The CLI keeps the default environment in <--home>/dev.
    const home = path.join(root, "dev");
    await landReference(home, "registered_users", "test_data/1-registered_users_1.csv");
    const locked = await land(home, "registered_users", "locked.csv", usersCsv(3, 100));
    await land(home, "gym_logins", "locked.csv", "mac_address,gym,login,logout\naa,1,1,2\n");
    handOver(root);
    await chmod(locked, 0o000);
    await chmod(path.join(homePaths(home).landing, "gym_logins"), 0o000);
    const result = pulseCli(root, "ingest", "--source", "landing", "--once");
    expect(result.stderr).not.toContain("internal error");
    expect(result.status).toBe(3);
    expect(result.stdout).toContain("not loaded: registered_users/locked.csv (permission denied");
    expect(result.stdout).toContain("not loaded: gym_logins/ (permission denied");
    expect(await countRows(home, "registered_users")).toBe(5);
    // Left where it is, for its owner to fix: not quarantined.
    expect((await stat(locked)).isFile()).toBe(true);
  });

  it("never follows a link: not a file link, not a dangling one, not a folder link; nothing of the target is printed or stored", async () => {
    const outside = ownedTempDir("pulse-adv-outside-");
    const secret = path.join(outside, "secret.csv");
    await writeFile(secret, `\x1b]0;owned\x07TOP-SECRET-LINE\n1,2,3,4\n`, { mode: 0o644 });
    await mkdir(path.join(outside, "more"));
    await writeFile(path.join(outside, "more", "a.csv"), usersCsv(2));
    const root = path.join(ownedTempDir("pulse-adv-links-"), "home");
    // The CLI keeps the default environment in <--home>/dev.
    const home = path.join(root, "dev");
    await land(home, "registered_users", "ok.csv", usersCsv(2));
    await symlink(secret, path.join(homePaths(home).landing, "registered_users", "link.csv"));
    await symlink(path.join(outside, "missing.csv"), path.join(homePaths(home).landing, "registered_users", "dangling.csv"));
    await symlink(path.join(outside, "more"), path.join(homePaths(home).landing, "registered_users", "folder"));
    await mkdir(path.join(homePaths(home).landing, "gym_logins"), { recursive: true });
    handOver(root);
    const result = pulseCli(root, "ingest", "--source", "landing", "--once");
    expect(result.status).toBe(3);
    const output = result.stdout + result.stderr;
    expect(output).not.toContain("TOP-SECRET");
    expect(output).not.toMatch(CONTROL);
    for (const name of ["link.csv", "dangling.csv", "folder"]) expect(result.stdout).toContain(`not loaded: registered_users/${name} (is a symbolic link`);
    expect(await countRows(home, "registered_users")).toBe(2);
    await expect(readdir(homePaths(home).quarantine)).rejects.toThrow(/ENOENT/);
  });

  it("prints and stores no raw bytes: escape sequences in a header are escaped, a binary .json is not called a CSV error", async () => {
    const root = path.join(ownedTempDir("pulse-adv-escapes-"), "home");
    // The CLI keeps the default environment in <--home>/dev.
    const home = path.join(root, "dev");
    await land(home, "registered_users", "evil.csv", `\x1b[2J\x1b]0;owned\x07${"A".repeat(5000)}\n1,2,3,4\n`);
    await land(home, "kafka_multiplex", "binary.json", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    handOver(root);
    const result = pulseCli(root, "ingest", "--source", "landing", "--once");
    expect(result.status).toBe(3);
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);
    expect(result.stdout).not.toMatch(/CSV Error/i);
    expect(result.stdout).toContain("quarantined: kafka_multiplex/binary.json (not UTF-8 text");
    const reason = await readFile(path.join(homePaths(home).quarantine, "registered_users", "evil.csv.reason"), "utf8");
    expect(reason).toContain("wrong CSV header");
    expect(reason).toContain("\\x1b[2J");
    expect(reason.trimEnd()).not.toMatch(CONTROL);
    expect(reason.length).toBeLessThan(400);
  });

  it("waits for a file written in place to settle, loads it whole once, and never refuses the completed file as changed", async () => {
    const home = await tempHome();
    const file = await land(home, "registered_users", "growing.csv", usersCsv(3));
    // The producer keeps appending, in place, for as long as the first load runs.
    let rows = 3;
    const writer = setInterval(() => appendFileSync(file, `${++rows},${rows},aa:${rows},1678410000\n`), 200);
    let first;
    try {
      first = await loadLandingOnce(home, { settleMs: 1000 });
    } finally {
      clearInterval(writer);
    }
    expect(first.loaded).toEqual([]);
    expect(first.outcome).toBe("incomplete");
    expect(first.skippedFiles).toEqual([{ file: "registered_users/growing.csv", reason: expect.stringMatching(/still being written/) }]);
    appendFileSync(file, `${++rows},${rows},aa:${rows},1678410000\n`);
    const second = await loadLandingOnce(home, { settleMs: 300 });
    expect(second.loaded).toEqual(["registered_users/growing.csv"]);
    expect(second.outcome).toBe("complete");
    expect(await countRows(home, "registered_users")).toBe(rows);
    const third = await loadLandingOnce(home, { settleMs: 300 });
    expect(third.changed).toEqual([]);
    expect(third.outcome).toBe("complete");
  });

  it("quarantines a truncated .gz with its reason and loads none of its rows; the complete file, put back, loads whole", async () => {
    const home = await tempHome();
    const whole = gzipSync(await readFile(path.join(REFERENCE, "test_data/2-user_info_1.json")));
    await land(home, "kafka_multiplex", "users.json.gz", whole.subarray(0, Math.floor(whole.length * 0.8)));
    const first = await loadLandingOnce(home, { settleMs: 0 });
    expect(first.quarantined).toEqual([{ file: "kafka_multiplex/users.json.gz", reason: expect.stringMatching(/not a complete gzip file/), to: expect.any(String) }]);
    expect(first.outcome).toBe("incomplete");
    expect(await countRows(home, "kafka_multiplex")).toBe(0);
    expect(await countRows(home, "dead_letters")).toBe(0);
    await land(home, "kafka_multiplex", "users.json.gz", whole);
    const second = await loadLandingOnce(home, { settleMs: 0 });
    expect(second.loaded).toEqual(["kafka_multiplex/users.json.gz"]);
    expect(second.changed).toEqual([]);
    expect(await countRows(home, "kafka_multiplex")).toBe(second.rows.kafka_multiplex);
    expect(second.rows.kafka_multiplex).toBeGreaterThan(0);
  });

  it("leaves a file that vanishes between the listing and the read, alone or in a group, and loads the rest", async () => {
    const home = await tempHome();
    const big = await land(home, "registered_users", "big.csv", usersCsv(40_000));
    const small = await land(home, "registered_users", "small-2.csv", usersCsv(2, 10));
    await land(home, "registered_users", "small-1.csv", usersCsv(2, 1));
    await land(home, "registered_users", "small-3.csv", usersCsv(2, 20));
    const summary = await loadLandingOnce(home, {
      settleMs: 0,
      onEvent: (event) => {
        if (event.kind !== "start") return;
        rmSync(big);
        rmSync(small);
      },
    });
    expect(summary.skippedFiles).toEqual([
      { file: "registered_users/big.csv", reason: "vanished before it was read" },
      { file: "registered_users/small-2.csv", reason: "vanished before it was read" },
    ]);
    expect(summary.loaded).toEqual(["registered_users/small-1.csv", "registered_users/small-3.csv"]);
    expect(summary.outcome).toBe("incomplete");
    expect(await countRows(home, "registered_users")).toBe(4);
  });

  it("reports a file changed after its load once, not on every load", async () => {
    const home = await tempHome();
    const file = await land(home, "registered_users", "users.csv", usersCsv(2));
    expect((await loadLandingOnce(home, { settleMs: 0 })).outcome).toBe("complete");
    await writeFile(file, usersCsv(3));
    const events: string[] = [];
    const first = await loadLandingOnce(home, { settleMs: 0, onEvent: (e) => events.push(e.kind) });
    expect(first.changed.map((c) => c.file)).toEqual(["registered_users/users.csv"]);
    expect(first.outcome).toBe("incomplete");
    expect(events).toContain("changed");
    events.length = 0;
    const again = await loadLandingOnce(home, { settleMs: 0, onEvent: (e) => events.push(e.kind) });
    expect(again.changed).toEqual([]);
    expect(again.changedBefore).toBe(1);
    expect(again.outcome).toBe("complete");
    expect(events).not.toContain("changed");
    expect(await countRows(home, "registered_users")).toBe(2);
  });

  it("creates PULSE_HOME 0700 and every file in it 0600, whatever the caller's umask", async () => {
    const root = path.join(ownedTempDir("pulse-adv-perms-"), "home");
    // The CLI keeps the default environment in <--home>/dev.
    const home = path.join(root, "dev");
    await land(home, "registered_users", "users.csv", usersCsv(2));
    await land(home, "gym_logins", "bad.csv", "wrong,header\n");
    // The landing files are the producer's; everything else pulse creates.
    const landed = new Set(await filesUnder(homePaths(home).landing));
    handOver(root);
    await chmod(root, 0o700);
    await chmod(home, 0o700);
    const fresh = path.join(path.dirname(root), "fresh");
    expect(pulseCli(fresh, "ingest", "--source", "landing", "--once").status).toBe(0);
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
    expect(pulseCli(root, "ingest", "--source", "landing", "--once").status).toBe(3);
    const created = [...(await filesUnder(root)), ...(await filesUnder(fresh))].filter((f) => !landed.has(f) && !f.startsWith(homePaths(home).landing));
    const modes = await Promise.all(created.map(async (f) => [path.relative(path.dirname(root), f), (await stat(f)).mode & 0o777] as const));
    expect(modes.length).toBeGreaterThan(10);
    expect(modes.filter(([, mode]) => mode !== 0o600 && mode !== 0o700)).toEqual([]);
    expect(modes.map(([f]) => f)).toEqual(expect.arrayContaining(["home/dev/lake/_state/landing-manifest.jsonl", "home/dev/quarantine/gym_logins/bad.csv.reason"]));
  });
});
