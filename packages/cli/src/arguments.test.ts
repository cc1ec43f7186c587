import { describe, expect, it } from "vitest";
import { parseArguments } from "./arguments.js";

const specs = {
  profile: { type: "string" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

describe("parseArguments", () => {
  it("reads flags and positionals in any order, long, short and --name=value", () => {
    expect(parseArguments(["status", "--json", "--profile", "work"], specs)).toEqual({
      values: { json: true, profile: "work" },
      positionals: ["status"],
      problem: null,
    });
    expect(parseArguments(["--profile=work", "-h", "sessions", "revoke", "ses_1"], specs)).toEqual({
      values: { profile: "work", help: true },
      positionals: ["sessions", "revoke", "ses_1"],
      problem: null,
    });
    // After `--`, everything is a positional.
    expect(parseArguments(["--", "--json"], specs).positionals).toEqual(["--json"]);
    // A value that starts with a dash, on purpose.
    expect(parseArguments(["--profile=-x"], specs).values.profile).toBe("-x");
  });

  it("names an unknown flag as it was typed, and still reads the command and the other flags", () => {
    expect(parseArguments(["status", "--jsn", "--no-color"], specs)).toEqual({
      values: { "no-color": true },
      positionals: ["status"],
      problem: { kind: "unknown_flag", flag: "--jsn" },
    });
    expect(parseArguments(["-xh"], specs).problem).toEqual({ kind: "unknown_flag", flag: "-x" });
    // An inherited property of objects is not a flag.
    expect(parseArguments(["--constructor"], specs).problem).toEqual({ kind: "unknown_flag", flag: "--constructor" });
  });

  it("reports a missing value (also when the next word is a flag) and a value given to a switch", () => {
    expect(parseArguments(["status", "--profile"], specs).problem).toEqual({ kind: "missing_value", flag: "--profile" });
    expect(parseArguments(["--profile", "--json", "status"], specs)).toMatchObject({
      positionals: ["status"],
      problem: { kind: "missing_value", flag: "--profile" },
    });
    expect(parseArguments(["--json=yes"], specs).problem).toEqual({ kind: "unexpected_value", flag: "--json" });
  });

  it("reports the first of several mistakes", () => {
    expect(parseArguments(["--nope", "--profile"], specs).problem).toEqual({ kind: "unknown_flag", flag: "--nope" });
  });
});
