/**
 * What every command is given: the streams, the environment, the resolved server and profile,
 * the credential store, and the printing helpers (data on stdout, everything else on stderr).
 */
import type { Readable, Writable } from "node:stream";
import type { Client } from "@harmont/cloud";
import { ExitCode, type ExitCodeValue } from "./exit-codes.js";
import type { HintTarget } from "./hints.js";
import { createApiClient, describeNetworkError } from "./http.js";
import type { CredentialKey, CredentialStore } from "./storage/credential-store.js";
import { Spinner } from "./terminal/spinner.js";
import { colorEnabled, createStyle, type Style } from "./terminal/style.js";

export type Env = Record<string, string | undefined>;

/** The process's streams and surroundings; tests and embedders can pass their own. */
export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: Env;
  platform: NodeJS.Platform;
}

/** Writes for the person (stderr) and for programs (stdout). */
export class Printer {
  readonly out: Style;
  readonly err: Style;
  readonly spinner: Spinner;

  constructor(
    private readonly io: Io,
    noColor: boolean,
  ) {
    this.out = createStyle(colorEnabled(io.stdout, io.env, noColor));
    this.err = createStyle(colorEnabled(io.stderr, io.env, noColor));
    this.spinner = new Spinner(io.stderr, this.err, io.env);
  }

  /** A line of the command's result, on stdout. */
  result(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A value as JSON, on stdout. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Progress and explanations, on stderr. */
  note(text: string): void {
    if (this.spinner.running) this.spinner.log(text);
    else this.io.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.note(`${this.err.yellow("warning:")} ${text}`);
  }

  error(text: string): void {
    this.note(`${this.err.red("error:")} ${text}`);
  }
}

export interface Context {
  io: Io;
  print: Printer;
  apiUrl: string;
  profile: string;
  key: CredentialKey;
  /** The flags a hint to run another command repeats, so that it reaches the same login. */
  target: HintTarget;
  json: boolean;
  store: CredentialStore;
  version: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Called when the person presses Ctrl-C at a prompt. */
  interrupt: () => void;
  client(token?: string): Client;
}

export function createContextClient(apiUrl: string, version: string, platform: NodeJS.Platform, signal?: AbortSignal) {
  const userAgent = `harmont-cli/${version} (node ${process.versions.node}; ${platform})`;
  // Ctrl-C cancels whatever request the command is waiting for.
  return (token?: string): Client => createApiClient({ apiUrl, token, userAgent, ...(signal ? { signal } : {}) });
}

/** The message for a server that cannot be reached, and its exit code. */
export function reportUnreachable(context: Context, error: Error): ExitCodeValue {
  context.print.error(
    `cannot reach the Harmont server at ${context.apiUrl} (${describeNetworkError(error)}); check --api-url or HARMONT_API_URL`,
  );
  return ExitCode.unreachable;
}
