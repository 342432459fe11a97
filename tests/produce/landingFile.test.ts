import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LandingFileExistsError, openLandingFile } from "../../produce/landingFile.js";
import { syntheticToLanding } from "../../produce/synthetic/toLanding.js";
import { startOfDay } from "../../produce/synthetic/config.js";

const FEEDS = ["registered_users", "gym_logins", "kafka_multiplex"];
const LOADER_GLOB = /\.(csv|json|gz)$/;

function tempHome(): string {
  return mkdtempSync(path.join(tmpdir(), "pulse-landing-"));
}

/** What a landing loader globbing the feed folders would pick up right now. */
function visible(home: string): string[] {
  return FEEDS.flatMap((feed) => {
    const dir = path.join(home, "landing", feed);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => LOADER_GLOB.test(name))
          .map((name) => path.join(dir, name))
      : [];
  });
}

/** A complete file: gzip decodes to the end, and the text ends with a whole line. */
function complete(file: string): boolean {
  try {
    const text = (file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file)).toString("utf8");
    return text.endsWith("\n");
  } catch {
    return false;
  }
}

describe("atomic landing files", () => {
  it("shows nothing under the final name until commit, then the whole file", async () => {
    const home = tempHome();
    const writer = await openLandingFile(home, "kafka_multiplex", "x.json.gz", { gzip: true });
    const chunk = `${'{"key":"1"}'.repeat(1000)}\n`;
    for (let i = 0; i < 200; i++) {
      await writer.write(chunk);
      expect(visible(home)).toEqual([]);
    }
    const published = await writer.commit();
    expect(visible(home)).toEqual([published]);
    expect(gunzipSync(readFileSync(published)).toString()).toBe(chunk.repeat(200));
    expect(readdirSync(path.join(home, "landing", ".tmp"))).toEqual([]);
  });

  it("never overwrites a landed file and leaves no temp file behind on abort", async () => {
    const home = tempHome();
    const first = await openLandingFile(home, "gym_logins", "a.csv", { gzip: false });
    await first.write("mac_address,gym,login,logout\n");
    await first.commit();
    const second = await openLandingFile(home, "gym_logins", "a.csv", { gzip: false });
    await second.write("other\n");
    await expect(second.commit()).rejects.toBeInstanceOf(LandingFileExistsError);
    expect(readFileSync(path.join(home, "landing", "gym_logins", "a.csv"), "utf8")).toBe("mac_address,gym,login,logout\n");

    const aborted = await openLandingFile(home, "gym_logins", "b.csv", { gzip: false });
    await aborted.write("half a li");
    await aborted.abort();
    expect(readdirSync(path.join(home, "landing", "gym_logins"))).toEqual(["a.csv"]);
    expect(readdirSync(path.join(home, "landing", ".tmp"))).toEqual([]);
  });

  it("a loader polling while the generator writes only ever sees complete files", async () => {
    const home = tempHome();
    const seen = new Set<string>();
    const partial: string[] = [];
    let polling = true;
    const poll = async () => {
      while (polling) {
        for (const file of visible(home)) {
          if (seen.has(file)) continue;
          seen.add(file);
          if (!complete(file)) partial.push(file);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const poller = poll();
    const result = await syntheticToLanding({ home, config: { users: 10, days: 2, seed: 5, start: startOfDay("2023-03-10") }, batches: 6, gzip: true });
    polling = false;
    await poller;
    expect(partial).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
    expect(visible(home).sort()).toEqual(result.files.map((f) => f.path).sort());
  });
});
