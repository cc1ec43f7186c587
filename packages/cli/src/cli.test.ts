import { readFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { helpText, runCli, usageText } from "./cli.js";
import { ExitCode, exitCodeMeanings } from "./exit-codes.js";

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

/** Runs the CLI in process, with streams that keep what is written. */
async function runInProcess(argv: string[]) {
  const output = { stdout: "", stderr: "" };
  const sink = (name: "stdout" | "stderr") =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output[name] += chunk.toString();
        callback();
      },
    });
  const code = await runCli(argv, {
    stdin: Readable.from([]),
    stdout: sink("stdout"),
    stderr: sink("stderr"),
    env: { HOME: "/nonexistent", XDG_CONFIG_HOME: "/nonexistent/.config", HARMONT_KEYCHAIN: "off" },
    platform: "linux",
  });
  return { code, ...output };
}

describe("usage errors", () => {
  it("a mistyped flag: the CLI's own one line, a suggestion, the command's usage, exit code 2", async () => {
    const run = await runInProcess(["status", "--jsn"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'error: unknown flag "--jsn": did you mean `--json`?\nUsage:\n  harmont status [--json]\nRun `harmont status --help` for every flag and example.\n',
    );
    // Not Node's parser text.
    expect(run.stderr).not.toMatch(/Unknown option|ERR_PARSE_ARGS|To specify a positional/);
  });

  it("a mistyped command: the closest real one and the list of commands", async () => {
    const run = await runInProcess(["stauts"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr.split("\n")[0]).toBe('error: unknown command "stauts": did you mean `status`?');
    expect(run.stderr).toContain("Usage:\n  harmont <command> [flags]\nCommands:\n  login ");
    expect((await runInProcess(["sessions", "revok", "ses_1"])).stderr.split("\n")[0]).toBe('error: unknown sessions command "revok": did you mean `revoke`?');
  });

  it("suggests only what the command accepts, and nothing when nothing is close", async () => {
    // --paste belongs to login: suggested there, not for status.
    expect((await runInProcess(["login", "--pste"])).stderr.split("\n")[0]).toBe('error: unknown flag "--pste": did you mean `--paste`?');
    expect((await runInProcess(["status", "--pste"])).stderr.split("\n")[0]).toBe('error: unknown flag "--pste"');
    expect((await runInProcess(["frobnicate"])).stderr.split("\n")[0]).toBe('error: unknown command "frobnicate"');
    expect((await runInProcess(["-x", "status"])).stderr.split("\n")[0]).toBe('error: unknown flag "-x"');
  });

  it("a flag without its value, or a switch given one", async () => {
    for (const argv of [["status", "--profile"], ["--profile", "--json", "status"]]) {
      const run = await runInProcess(argv);
      expect(run.code).toBe(ExitCode.usage);
      expect(run.stderr).toMatch(/^error: --profile needs a value/);
      expect(run.stderr).toContain("  harmont status [--json]\n");
    }
    expect((await runInProcess(["token", "--json=yes"])).stderr).toMatch(/^error: --json takes no value\nUsage:\n {2}harmont token/);
  });

  it("every usage error shows the command's usage", async () => {
    for (const argv of [["status", "extra"], ["status", "--paste"], ["login", "--paste", "--browser"], ["sessions", "revoke"]]) {
      const run = await runInProcess(argv);
      expect(run.code, argv.join(" ")).toBe(ExitCode.usage);
      expect(run.stderr, argv.join(" ")).toContain(usageText(argv[0]));
    }
  });
});
