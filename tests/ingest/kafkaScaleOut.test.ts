import { readFileSync } from "node:fs";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ensureTopicsReady } from "../../lib/kafkaTopics.js";
import { homePaths } from "../../lib/home.js";
import { type CliProcess, kafkaClient, kafkaIngestArgs, lakeQuery, multiplexCount, startCli, tempHome, uniquePrefix, waitFor } from "./helpers.js";

const PARTITIONS = 3;

/*
 * REPLAYS: bronze may repeat a message, unchanged, never lose one. A partition that moves while its old owner still
 * buffers records is read again by the new owner, whose lake refresh at the join came before the old owner's flush;
 * so each rebalance can repeat at most a buffer (--max-batch) per partition. Silver dedupes them by message id.
 */

/** `count` heart-rate messages, spread over the topic's partitions by key; `from` numbers them across calls. */
async function produce(topic: string, from: number, count: number): Promise<void> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await ensureTopicsReady(admin, [{ topic, numPartitions: PARTITIONS }]);
    for (let sent = 0; sent < count; sent += 5000) {
      const messages = Array.from({ length: Math.min(5000, count - sent) }, (_, i) => {
        const k = from + sent + i;
        return { key: String(k % 97), value: `{"device_id": ${k}, "time": 1678410000, "heartrate": 60.5}` };
      });
      await producer.send({ topic, messages });
    }
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

function startIngest(home: string, prefix: string): CliProcess {
  // Small, frequent batches: many lake commits, so a kill is likely to land in one and each process writes files.
  return startCli(kafkaIngestArgs(home, prefix, ["--topics", "bpm", "--max-batch", "3000", "--flush-ms", "200"]));
}

/** The lake file batch ids of one process carry its tag (ingest/sources/kafka/kafkaIngest.ts). */
const tagOf = (p: CliProcess) => `kafka-${p.child.pid!.toString(36)}`;

/** Per process tag, the partitions of its files and when its last and first files were committed. */
async function writers(home: string): Promise<{ tag: string; partition: number; first: number; last: number }[]> {
  const rows = await lakeQuery(
    home,
    `SELECT regexp_extract(_batch, 'kafka-[0-9a-z]+$') AS tag, "partition", epoch_ms(min(_ingested_at)) AS first, epoch_ms(max(_ingested_at)) AS last FROM {kafka_multiplex} GROUP BY ALL`,
  );
  return rows.map((r) => ({ tag: String(r.tag), partition: Number(r.partition), first: Number(r.first), last: Number(r.last) }));
}

/**
 * Produces in small rounds until every process has written a file: a process still starting when the others drain
 * the topic has nothing to write until the group has rebalanced and more arrives. Returns how many were produced.
 */
async function produceUntilAllWrite(home: string, topic: string, processes: CliProcess[], from: number): Promise<number> {
  let produced = from;
  await waitFor(
    `all ${processes.length} processes writing`,
    async () => {
      await produce(topic, produced, 5000);
      produced += 5000;
      return new Set((await writers(home)).map((w) => w.tag)).size === processes.length;
    },
    150_000,
    2000,
    processes[0],
  );
  return produced;
}

async function distinctAndRows(home: string): Promise<{ rows: number; distinct: number; conflicting: number }> {
  const [r] = await lakeQuery(
    home,
    `SELECT count(*) AS rows, count(DISTINCT ("partition", "offset")) AS distinct, count(DISTINCT ("partition", "offset", value)) - count(DISTINCT ("partition", "offset")) AS conflicting FROM {kafka_multiplex}`,
  );
  return { rows: Number(r!.rows), distinct: Number(r!.distinct), conflicting: Number(r!.conflicting) };
}

describe("several ingest processes in one consumer group on one home", { timeout: 240_000 }, () => {
  it("two processes share the partitions and together write every message, none lost and none changed", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("scale2");
    await produce(`${prefix}bpm`, 0, 20_000);
    const processes = [startIngest(home, prefix), startIngest(home, prefix)];
    const produced = await produceUntilAllWrite(home, `${prefix}bpm`, processes, 20_000);
    await waitFor("every message in bronze", async () => (await multiplexCount(home)) >= produced, 90_000, 500, processes[0]);
    for (const p of processes) p.child.kill("SIGTERM");
    expect(await Promise.all(processes.map((p) => p.exited))).toEqual([0, 0]);
    const { rows, distinct, conflicting } = await distinctAndRows(home);
    expect(distinct).toBe(produced);
    expect(conflicting).toBe(0);
    // The second process's join moves partitions: each may repeat at most what its old owner had buffered (REPLAYS).
    expect(rows - distinct).toBeLessThanOrEqual(PARTITIONS * 3000);
    // Each partition is written by one process at a time; both processes wrote some.
    const tags = new Set((await writers(home)).map((w) => w.tag));
    expect(tags).toEqual(new Set(processes.map(tagOf)));
  });

  it("a process SIGKILLed inside a lake commit leaves its partitions to the others within the session timeout, and nothing is lost", async () => {
    const home = await tempHome();
    const prefix = uniquePrefix("scale3");
    await produce(`${prefix}bpm`, 0, 20_000);
    const processes = [0, 1, 2].map(() => startIngest(home, prefix));
    const before = await produceUntilAllWrite(home, `${prefix}bpm`, processes, 20_000);
    // 60k messages while the victim is frozen and killed, then 6k more: on a quiet machine the 60k could all be in
    // bronze before the kill (a CI run saw no write to the victim's partition after it), and the handover is only
    // visible in writes that come after it.
    const total = before + 60_000 + 6_000;
    const victim = processes[2]!;
    const producing = produce(`${prefix}bpm`, before, 60_000);

    // Freeze the victim while the commit lock names it (it holds the lock only for a rename and an fsync), make sure
    // it still does, then kill it: the lock file is left behind naming a dead process, mid-commit.
    const lockFile = path.join(homePaths(path.join(home, "dev")).ingestState, "commit.lock");
    const holder = `"pid":${victim.child.pid}`;
    const readLock = () => {
      try {
        return readFileSync(lockFile, "utf8");
      } catch {
        return "";
      }
    };
    const deadline = Date.now() + 90_000;
    let killedAt = 0;
    while (killedAt === 0) {
      if (Date.now() > deadline) throw new Error(`the victim never held the commit lock:\n${victim.output().slice(-2000)}`);
      if (!readLock().includes(holder)) {
        await yieldToLoop();
        continue;
      }
      victim.child.kill("SIGSTOP");
      if (readLock().includes(holder)) {
        victim.child.kill("SIGKILL");
        killedAt = Date.now();
      } else victim.child.kill("SIGCONT");
    }
    expect(await victim.exited).toBe("SIGKILL");
    await producing;
    await produce(`${prefix}bpm`, before + 60_000, 6_000);

    await waitFor("every message in bronze", async () => (await distinctAndRows(home)).distinct >= total, 150_000, 1000, processes[0]);
    const survivors = processes.slice(0, 2);
    for (const p of survivors) p.child.kill("SIGTERM");
    expect(await Promise.all(survivors.map((p) => p.exited))).toEqual([0, 0]);

    const { rows, distinct, conflicting } = await distinctAndRows(home);
    expect(distinct).toBe(total);
    expect(rows - distinct).toBeLessThanOrEqual(3 * PARTITIONS * 3000);
    expect(conflicting).toBe(0);
    // The victim's last partitions: those of its files committed after the last rebalance before the kill.
    const victimFiles = await lakeQuery(home, `SELECT DISTINCT "partition" FROM {kafka_multiplex} WHERE ends_with(_batch, '${tagOf(victim)}')`);
    expect(victimFiles.length).toBeGreaterThan(0);
    const handovers = await lakeQuery(
      home,
      `SELECT "partition", epoch_ms(min(_ingested_at)) - ${killedAt} AS after_ms FROM {kafka_multiplex}
       WHERE NOT ends_with(_batch, '${tagOf(victim)}') AND epoch_ms(_ingested_at) > ${killedAt} GROUP BY ALL`,
    );
    // Every partition is written after the kill (the victim's too), and the first write of each comes after the
    // group noticed the dead member (its 10 s session), a rebalance, a lake refresh and a fetch.
    expect(handovers.map((h) => h.partition).sort()).toEqual([0, 1, 2]);
    for (const h of handovers) expect(Number(h.after_ms), `partition ${String(h.partition)}`).toBeLessThan(25_000);
    // The lock the victim died holding was taken over (the survivors went on committing), and released.
    expect(readLock()).toBe("");
  });
});
