import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { helpText } from "./cli.js";
import { exitCodeMeanings } from "./exit-codes.js";

describe("the documented exit codes", () => {
  it("are in --help and in the README, as the code defines them", () => {
    const help = helpText();
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const { code, meaning } of exitCodeMeanings) {
      expect(help).toContain(`  ${String(code).padEnd(4)}${meaning}`);
      expect(readme).toContain(`| ${code} | ${meaning} |`);
    }
    const readmeRows = readme.split("\n").filter((line) => /^\| \d+ \| /.test(line));
    expect(readmeRows).toHaveLength(exitCodeMeanings.length);
  });

  it("every command's help has usage, and the main help has examples", () => {
    expect(helpText()).toMatch(/Examples:\n(  harmont .+\n)+/);
    for (const command of ["login", "logout", "status", "whoami", "token", "sessions"]) expect(helpText(command)).toContain("Usage:");
  });
});
