import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homePaths } from "../../lib/home.js";
import { runMainJob } from "../../jobs/mainJob.js";
import { launchChromium, PROJECT, pulse, pulseQuery, startServe, tempDir, type Served } from "./serveHarness.js";

const CLI = path.join(PROJECT, "dist", "cli", "main.js");

/** `UPDATE_SCREENSHOTS=1` refreshes the README's pictures (docs/img) from this suite's browser. */
function keepForReadme(shot: string): void {
  if (process.env.UPDATE_SCREENSHOTS) fs.copyFileSync(shot, path.join(PROJECT, "docs", "img", path.basename(shot)));
}

/** A table of the page as rows of cell texts keyed by data-col. */
async function domTable(page: Page, selector: string): Promise<Record<string, string>[]> {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.dataset.col!, td.textContent!]))));
}

/** SQL rows and page rows hold the same values (numbers compared as numbers). */
function expectSameRows(page: Record<string, string>[], sql: Record<string, unknown>[]): void {
  expect(page.length).toBe(sql.length);
  sql.forEach((row, i) => {
    for (const [column, value] of Object.entries(row)) {
      const shown = page[i]![column];
      if (typeof value === "number") expect(Number(shown), `row ${i} ${column}`).toBeCloseTo(value, 6);
      else expect(shown, `row ${i} ${column}`).toBe(String(value));
    }
  });
}

describe("pulse serve in headless Chromium", () => {
  let home: string;
  let shots: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  /** Every request the browser made that was not for the server on 127.0.0.1 (each was aborted). */
  const outside: string[] = [];

  beforeAll(async () => {
    home = tempDir("pulse-serve-");
    shots = path.join(home, "screenshots");
    fs.mkdirSync(shots);
    const lines: string[] = [];
    expect(await runMainJob({ projectDir: PROJECT, home, users: 12, days: 2, seed: 7, log: (line) => lines.push(line) })).toBe(0);
    // npm start ends by saying how to look at what it built.
    expect(lines.at(-1)).toContain(`npx pulse serve --home ${home}`);
    served = await startServe(home);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${served.url}/`)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await context.newPage();
    process.stderr.write(`serve test screenshots: ${shots}\n`);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("draws the dashboard with the numbers pulse query gives for the same tables", async () => {
    const started = Date.now();
    await page.goto(`${served.url}/`, { waitUntil: "load" });
    const loadMs = Date.now() - started;
    await page.screenshot({ path: path.join(shots, "dashboard-full.png"), fullPage: true });
    await page.screenshot({ path: path.join(shots, "dashboard.png") });
    keepForReadme(path.join(shots, "dashboard.png"));

    expectSameRows(
      await domTable(page, "#table-bpmByBin"),
      pulseQuery(
        home,
        `select coalesce(age, '(no profile)') as age, coalesce(gender, '(no profile)') as gender, count(*) as sessions,
           min(min_bpm) as min_bpm, round(avg(avg_bpm), 1) as avg_bpm, max(max_bpm) as max_bpm
         from gold.workout_bpm_summary group by all order by age, gender`,
      ),
    );
    const perDay = pulseQuery(
      home,
      `select strftime(cast(c.start_time as date), '%Y-%m-%d') as day, count(*) as sessions
       from gold.workout_bpm_summary s join silver.completed_workouts c using (user_id, workout_id, session_id) group by all order by day`,
    );
    expectSameRows(await domTable(page, "#table-sessionsPerDay"), perDay);
    // The chart itself: one bar per day, labelled with the same counts.
    const barLabels = await page.$$eval('[data-chart="sessionsPerDay"] svg g[aria-label="text"] text', (ts) => ts.map((t) => Number(t.textContent)));
    expect(barLabels).toEqual(perDay.map((r) => r.sessions));
    // One dot per (age bin, gender) in the min/avg/max chart, as many as the SQL groups.
    const dots = await page.$$eval('[data-chart="bpmByBin"] svg g[aria-label="dot"] circle', (cs) => cs.length);
    expect(dots).toBe((await domTable(page, "#table-bpmByBin")).length);

    const gymTotals = pulseQuery(home, "select round(sum(minutes_in_gym), 2) as in_gym, round(sum(minutes_exercising), 2) as exercising, count(*) as workouts from gold.gym_summary");
    const gymRows = await domTable(page, "#table-gymUsage");
    expect(gymRows.reduce((sum, r) => sum + Number(r.workouts), 0)).toBe(gymTotals[0]!.workouts);
    expect(gymRows.reduce((sum, r) => sum + Number(r.minutes_in_gym), 0)).toBeCloseTo(Number(gymTotals[0]!.in_gym), 1);
    expect(gymRows.reduce((sum, r) => sum + Number(r.minutes_exercising), 0)).toBeCloseTo(Number(gymTotals[0]!.exercising), 1);
    expect(await page.$$eval('[data-chart="gymUsage"] svg', (s) => s.length)).toBe(1);

    const top = pulseQuery(home, "select user_id, workout_id, session_id, round(avg_bpm, 1) as avg_bpm from gold.workout_bpm_summary order by avg_bpm desc, user_id, workout_id, session_id limit 10");
    expectSameRows(
      (await domTable(page, "#table-topSessions")).map(({ user_id, workout_id, session_id, avg_bpm }) => ({ user_id: user_id!, workout_id: workout_id!, session_id: session_id!, avg_bpm: avg_bpm! })),
      top,
    );
    // Each chart says which table it reads.
    expect(await page.textContent("#gymUsage .reads")).toContain("gold.gym_summary");
    expect(await page.textContent("#bpmByBin .reads")).toContain("gold.workout_bpm_summary");
    process.stderr.write(`dashboard loaded in ${loadMs} ms\n`);
  });

  it("filters by age bin with the same numbers as SQL with that filter", async () => {
    const [{ age }] = pulseQuery(home, "select age from gold.workout_bpm_summary where age is not null group by age order by count(*) desc, age limit 1") as [{ age: string }];
    await page.goto(`${served.url}/`);
    await page.selectOption('select[name="age"]', age);
    await Promise.all([page.waitForURL(/age=/), page.click('button[type="submit"]')]);
    expectSameRows(
      await domTable(page, "#table-bpmByBin"),
      pulseQuery(
        home,
        `select age, coalesce(gender, '(no profile)') as gender, count(*) as sessions, min(min_bpm) as min_bpm, round(avg(avg_bpm), 1) as avg_bpm, max(max_bpm) as max_bpm
         from gold.workout_bpm_summary where age = '${age}' group by all order by age, gender`,
      ),
    );
  });

  it("shows every action of the compiled graph in the DAG", async () => {
    const compiled = JSON.parse(pulse(["compile", "--json"], { home }).stdout) as { tables: Target[]; assertions: Target[]; declarations: Target[] };
    type Target = { target: { database: string; schema: string; name: string } };
    const expected = [...compiled.declarations, ...compiled.tables, ...compiled.assertions].map((a) => `${a.target.database}.${a.target.schema}.${a.target.name}`).sort();
    await page.goto(`${served.url}/pipeline`, { waitUntil: "load" });
    const shown = await page.$$eval("#dag [data-action]", (nodes) => nodes.map((n) => (n as HTMLElement).dataset.action!));
    expect(shown.sort()).toEqual(expected);
    expect(await page.getAttribute('#dag [data-action="pulse.silver.heart_rate"]', "data-status")).toBe("success");
    await page.screenshot({ path: path.join(shots, "pipeline.png"), fullPage: true });
    keepForReadme(path.join(shots, "pipeline.png"));
  });

  it("shows a run live while pulse run executes, and a failed assertion turns red with its message", async () => {
    await page.goto(`${served.url}/pipeline`, { waitUntil: "load" });
    // Record every status the page shows, to see the run's progress arrive without a reload.
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { seen: Set<string> }).seen = seen;
      new MutationObserver(() => {
        for (const n of document.querySelectorAll<HTMLElement>("#dag [data-status]")) seen.add(n.dataset.status!);
        if (!document.getElementById("live-banner")!.hidden) seen.add("banner");
      }).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
    });
    // A reading of 400 bpm lands: silver keeps it (it is > 0), and the range assertion fails on it.
    const landing = path.join(homePaths(path.join(home, "dev")).landing, "kafka_multiplex");
    const value = JSON.stringify({ device_id: 1, time: 1678406888, heartrate: 400 });
    fs.writeFileSync(path.join(landing, "zz-implausible-bpm.json"), `${JSON.stringify({ key: "1", value, topic: "bpm", partition: 0, offset: 1, timestamp: 1678406888 })}\n`);
    expect(pulse(["ingest", "--source", "landing", "--once"], { home }).status).toBe(0);
    const run = spawn(process.execPath, [CLI, "run", "--full-refresh", "--home", home, "--project", PROJECT], { stdio: "ignore" });
    const exitCode = await new Promise<number | null>((resolve) => run.once("exit", resolve));
    const ended = Date.now();
    expect(exitCode).toBe(1);
    const failed = '#dag [data-action="pulse.assertions.heart_rate_valid_range"]';
    await page.waitForSelector(`${failed}[data-status="failed"]`, { timeout: 5000 });
    process.stderr.write(`the failed assertion showed ${Date.now() - ended} ms after pulse run exited\n`);
    const seen = await page.evaluate(() => [...(window as unknown as { seen: Set<string> }).seen]);
    // The live banner proves the page followed the run while it executed. A node's "running" state lasts only as
    // long as its action (well under the 1 s poll on a quiet machine: seen in 2 of 3 full-suite runs), so it is not required.
    expect(seen).toContain("banner");
    // Red, with the assertion's message in the problems list and the node's tooltip.
    expect(await page.$eval(`${failed} rect`, (r) => getComputedStyle(r).fill)).toBe("rgb(248, 201, 201)");
    const problem = await page.textContent('#problems li[data-action="pulse.assertions.heart_rate_valid_range"]');
    expect(problem).toMatch(/failed: .*\S/);
    expect(await page.textContent(`${failed} title`)).toContain("error:");
    await page.screenshot({ path: path.join(shots, "pipeline-failed.png"), fullPage: true });
    // Once the run has ended and recorded itself, the history shows it, still without a reload.
    await page.waitForFunction(() => document.querySelectorAll("#runs tbody tr").length === 2, undefined, { timeout: 5000 });
    expect(await page.textContent("#runs tbody tr:first-child td[data-col=status]")).toBe("failed");
  });

  it("lists the upstream columns of gold.workout_bpm_summary.avg_bpm down to the bpm topic's heartrate in bronze", async () => {
    await page.goto(`${served.url}/tables/gold.workout_bpm_summary`, { waitUntil: "load" });
    const upstream = await page.$$eval('#columns tr[data-column="avg_bpm"] li[data-upstream]', (lis) => lis.map((li) => ({ column: (li as HTMLElement).dataset.upstream!, text: li.textContent! })));
    expect(upstream.map((u) => u.column)).toEqual(["silver.workout_bpm.heartrate", "silver.heart_rate.heartrate", "bronze.kafka_multiplex.value"]);
    expect(upstream[2]!.text).toContain("$.heartrate");
    expect(upstream[2]!.text).toContain("topic = 'bpm'");
    // The rest of the table's docs: grain, types, assertions with their last results, rows, SQL.
    expect(await page.textContent("#columns")).toContain("DOUBLE");
    expect(await page.textContent("body")).toContain("grain:");
    expect(await page.$$eval("#assertions tbody tr", (trs) => trs.map((tr) => tr.children[1]!.textContent))).toEqual(["success", "success"]);
    expect(Number((await page.textContent("#row-count"))!.replace(/,/g, ""))).toBe(pulseQuery(home, "select count(*) as n from gold.workout_bpm_summary")[0]!.n);
    expect(await page.textContent("#sqlx")).toContain("config {");
    expect(await page.textContent("#compiled")).toContain('"pulse"."silver"."workout_bpm"');
    await page.screenshot({ path: path.join(shots, "table.png") });
  });

  it("shows a table's sample rows with its PII masked per access.yaml: names hashed, dates of birth null", async () => {
    await page.goto(`${served.url}/tables/silver.user_profile`, { waitUntil: "load" });
    const sample = await domTable(page, "#sample");
    expect(sample.length).toBeGreaterThan(0);
    const names = new Set(pulseQuery(home, "select first_name, last_name, street_address from silver.user_profile").flatMap((r) => Object.values(r).map(String)));
    for (const row of sample) {
      for (const column of ["first_name", "last_name", "street_address"]) {
        expect(row[column], column).toMatch(/^[0-9a-f]{64}$/);
        expect(names.has(row[column]!), column).toBe(false);
      }
      expect(row.dob).toBe("NULL");
      // Columns without a policy tag are shown as stored.
      expect(row.user_id).toMatch(/^\d+$/);
    }
  });

  it("made no request outside 127.0.0.1", () => {
    expect(outside).toEqual([]);
  });
});

describe("pulse serve: bad input", () => {
  it("answers 404 for unknown routes and 400 for bad query parameters", async () => {
    const home = tempDir("pulse-serve-empty-");
    const served = await startServe(home);
    try {
      expect((await fetch(`${served.url}/nope`)).status).toBe(404);
      expect((await fetch(`${served.url}/tables/silver.nope`)).status).toBe(404);
      expect((await fetch(`${served.url}/tables/x;drop table y`)).status).toBe(404);
      expect((await fetch(`${served.url}/?gym=abc`)).status).toBe(400);
      expect((await fetch(`${served.url}/?age=x&extra=1`)).status).toBe(400);
      // An empty warehouse: the commands to fill it, not a blank page.
      const empty = await fetch(`${served.url}/`);
      expect(empty.status).toBe(200);
      const text = await empty.text();
      expect(text).toContain("No runs yet");
      expect(text).toContain("npx pulse run");
      // The DAG still shows, every action never run.
      expect(await (await fetch(`${served.url}/pipeline`)).text()).toContain('data-action="pulse.gold.workout_bpm_summary"');
      // A second server on the same port: a clear error naming the port.
      const clash = pulse(["serve", "--port", String(served.port)], { home });
      expect(clash.status).toBe(2);
      expect(clash.stderr).toContain(`port ${served.port}`);
      expect(clash.stderr).not.toMatch(/\n\s+at /);
      // An environment environments.yaml does not declare.
      const env = pulse(["serve", "--env", "staging"], { home });
      expect(env.status).toBe(2);
      expect(env.stderr).toContain("--env: unknown environment 'staging'");
      expect(env.stderr).toContain("declares: dev, qa, prod");
    } finally {
      await served.stop();
    }
  });
});
