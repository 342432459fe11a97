import fs from "node:fs";
import path from "node:path";
import { Command } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/program.js";
import { REPO, pulse } from "../runner/helpers.js";

/** Every command path (`run`, `ingest status`, …) with the long flags its definition declares. */
async function declaredFlags(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const visit = (command: Command, name: string) => {
    found.set(
      name,
      command.options.map((option) => option.long!).filter((flag) => flag !== undefined),
    );
    for (const sub of command.commands) visit(sub as unknown as Command, `${name} ${sub.name()}`);
  };
  for (const [name, { load }] of Object.entries(COMMANDS)) {
    const command = new Command(name);
    (await load()).define(command as unknown as Parameters<Awaited<ReturnType<typeof load>>["define"]>[0], () => undefined);
    visit(command, name);
  }
  return found;
}

describe("pulse --help", () => {
  it("lists every command, and every file in cli/commands is a command", async () => {
    const files = fs.readdirSync(path.join(REPO, "cli", "commands")).map((file) => file.replace(/\.ts$/, ""));
    expect(Object.keys(COMMANDS).sort()).toEqual(files.sort());
    const result = await pulse(["--help"]);
    expect(result.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("each command's --help lists every flag it declares", async () => {
    const commands = await declaredFlags();
    expect([...commands.keys()]).toContain("ingest status");
    for (const [name, flags] of commands) {
      // Only a group of nested commands (`docs`) declares no flags of its own.
      if (![...commands.keys()].some((other) => other.startsWith(`${name} `))) expect(flags.length, name).toBeGreaterThan(0);
      const result = await pulse([...name.split(" "), "--help"]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(`Usage: pulse ${name} `);
      for (const flag of flags) expect(result.stdout, `pulse ${name} --help lists ${flag}`).toMatch(new RegExp(`^\\s+${flag}\\b`, "m"));
    }
    // One CLI start per command path (18 of them): beside a full suite on 2 cores each took up to 8 s.
  }, 300_000);

  it("`pulse help <command>` is the command's help, and `pulse` alone prints help and exits 2", async () => {
    const help = await pulse(["help", "query"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--lock-timeout <seconds>");
    const bare = await pulse([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Usage: pulse <command> [options]");
  });
});
