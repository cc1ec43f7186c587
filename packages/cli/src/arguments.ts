/**
 * Reading the command line: flags and positionals, with each mistake named in terms the CLI
 * can explain (an unknown flag, a missing value) instead of Node's `parseArgs` error text.
 */
import { parseArgs } from "node:util";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

/** The values of the flags in `Specs`, as `parseArgs` would type them. */
export type FlagValues<Specs extends Record<string, FlagSpec>> = {
  [Name in keyof Specs]?: Specs[Name]["type"] extends "string" ? string : boolean;
};

/** What is wrong with the command line; `flag` is as it was typed (`--jsn`, `-x`). */
export type ArgumentProblem =
  | { kind: "unknown_flag"; flag: string }
  | { kind: "missing_value"; flag: string }
  | { kind: "unexpected_value"; flag: string };

export interface ParsedArguments<Specs extends Record<string, FlagSpec>> {
  values: FlagValues<Specs>;
  positionals: string[];
  /** The first mistake, if any; `values` and `positionals` then hold the rest of what was read. */
  problem: ArgumentProblem | null;
}

/**
 * Splits `argv` into flags and positionals. Never throws: the first mistake comes back in
 * `problem`, with the positionals read around it (so the caller knows which command it was for).
 */
export function parseArguments<Specs extends Record<string, FlagSpec>>(argv: readonly string[], specs: Specs): ParsedArguments<Specs> {
  // Not strict, so that nothing throws: every check strict mode makes is made below instead.
  const { tokens } = parseArgs({ args: [...argv], options: specs, allowPositionals: true, strict: false, tokens: true });
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  let problem: ArgumentProblem | null = null;
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    let mistake: ArgumentProblem["kind"] | null = null;
    if (!spec) {
      mistake = "unknown_flag";
    } else if (spec.type === "boolean") {
      if (token.value !== undefined) mistake = "unexpected_value";
      else values[token.name] = true;
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-"))) {
      // `--profile --json`: a value that looks like a flag is a forgotten value, not a profile
      // named "--json" (`--profile=-x` still passes one on purpose).
      mistake = "missing_value";
    } else {
      values[token.name] = token.value;
    }
    // The first mistake is the one reported; the flags after it are still read (--no-color).
    if (mistake && !problem) problem = { kind: mistake, flag: token.rawName };
  }
  return { values: values as FlagValues<Specs>, positionals, problem };
}
