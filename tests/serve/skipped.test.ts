import { describe, expect, it } from "vitest";
import { FIXTURE, homeAfterFirstRun, runFixture } from "../runner/helpers.js";
import { launchChromium, startServe } from "./serveHarness.js";

describe("pulse serve: a failed action and what it skipped", () => {
  it("shows the failed assertion's message and, on each skipped action, the dependency that stopped it", async () => {
    const home = await homeAfterFirstRun();
    expect((await runFixture(home, "--vars", "batch=2,fail_gate=yes")).code).toBe(1);
    const served = await startServe(home, FIXTURE);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${served.url}/pipeline`, { waitUntil: "load" });
      const node = (name: string) => `#dag [data-action="${name}"]`;
      expect(await page.getAttribute(node("fixture.checks.gate"), "data-status")).toBe("failed");
      expect(await page.getAttribute(node("fixture.core.after_gate"), "data-status")).toBe("skipped");
      expect(await page.textContent(`${node("fixture.core.after_gate")} .line2`)).toBe("because fixture.checks.gate");
      expect(await page.textContent(`${node("fixture.core.after_gate_view")} .line2`)).toBe("because fixture.core.after_gate");
      expect(await page.textContent('#problems li[data-action="fixture.checks.gate"]')).toContain("fixture.checks.gate returned rows (3 rows)");
      expect(await page.textContent('#problems li[data-action="fixture.core.after_gate_view"]')).toBe("fixture.core.after_gate_view skipped because fixture.core.after_gate did not succeed");
      // Independent actions ran.
      expect(await page.getAttribute(node("fixture.core.events_append"), "data-status")).toBe("success");
    } finally {
      await browser.close();
      await served.stop();
    }
  });
});
