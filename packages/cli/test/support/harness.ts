/**
 * What the CLI's end-to-end tests share: a real Harmont server listening on 127.0.0.1 (in this
 * process, on a temporary SQLite file), accounts made through the API, and the BUILT `harmont`
 * binary run as a child process with its own HOME, so nothing touches the machine's real config.
 * Every child is tracked and killed by `killChildren()`, and every run has a time limit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll } from "vitest";
import { loadConfig } from "../../../server/src/config.js";
import { createLogger, startServer, type RunningServer } from "../../../server/src/server.js";
import { findFreePort } from "../../../server/src/test-support/ports.js";

export const cliMain = new URL("../../dist/main.js", import.meta.url).pathname;
export const openerScript = new URL("./opener.mjs", import.meta.url).pathname;

export function assertBuilt(): void {
  if (!existsSync(cliMain)) throw new Error("the CLI is not built: run `npm run build` first (npm test does it)");
}

export interface TestServer {
  url: string;
  directory: string;
  stop(): Promise<void>;
  /** Calls the API with an optional bearer token and JSON body. */
  api(path: string, init?: { method?: string; token?: string; json?: unknown }): Promise<Response>;
  /** A new account, signed in on "the web": its email and web session token. */
  signup(): Promise<{ email: string; token: string }>;
  /** A paste code minted by the web app for the account of `webToken`. */
  pasteCode(webToken: string): Promise<string>;
}

/**
 * Starts a server on 127.0.0.1. Its public URL is its own URL (so the OAuth metadata's issuer is
 * the URL the CLI is given), unless `env` sets HARMONT_PUBLIC_URL (a test with a proxy in front).
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  let directory = "";
  let running: RunningServer | undefined;
  for (let attempt = 1; !running; attempt++) {
    directory = mkdtempSync(join(tmpdir(), "harmont-cli-server-"));
    // The port is chosen before the server starts, so that the public URL can name it.
    const port = env.HARMONT_PUBLIC_URL === undefined ? await findFreePort() : 0;
    const config = loadConfig({
      HARMONT_DATABASE_URL: `sqlite:${join(directory, "h.db")}`,
      PORT: String(port),
      HARMONT_HOST: "127.0.0.1",
      HARMONT_PUBLIC_URL: `http://127.0.0.1:${port}`,
      HARMONT_LOG_LEVEL: "silent",
      HARMONT_LIMIT_SIGNUP_PER_IP: "0",
      ...env,
    });
    try {
      running = await startServer(config, { logger: createLogger(config, silent) });
    } catch (error) {
      rmSync(directory, { recursive: true, force: true });
      // Another process took the port between the probe and the start: draw another.
      if ((error as { code?: unknown }).code !== "EADDRINUSE" || attempt >= 5) throw error;
    }
  }
  const url = running.url;
  const api: TestServer["api"] = (path, init = {}) => {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.json !== undefined) headers["content-type"] = "application/json";
    return fetch(`${url}${path}`, {
      method: init.method ?? (init.json !== undefined ? "POST" : "GET"),
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  };
  let accounts = 0;
  return {
    url,
    directory,
    api,
    async stop() {
      await running.stop();
      rmSync(directory, { recursive: true, force: true });
    },
    async signup() {
      const email = `person-${++accounts}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      const response = await api("/api/v0/auth/signup", { json: { email, password: "correct horse battery staple" } });
      if (response.status !== 201) throw new Error(`signup answered ${response.status}: ${await response.text()}`);
      const { token } = (await response.json()) as { token: string };
      return { email, token };
    },
    async pasteCode(webToken) {
      const response = await api("/api/v0/auth/cli/code", { method: "POST", token: webToken });
      if (response.status !== 200) throw new Error(`cli/code answered ${response.status}`);
      return ((await response.json()) as { code: string }).code;
    },
  };
}

/** A fresh HOME with its own XDG config directory. */
export function makeHome(): { home: string; configDirectory: string; credentialsFile: string; remove(): void } {
  const home = mkdtempSync(join(tmpdir(), "harmont-cli-home-"));
  const configDirectory = join(home, ".config");
  return { home, configDirectory, credentialsFile: join(configDirectory, "harmont", "credentials.json"), remove: () => rmSync(home, { recursive: true, force: true }) };
}

export type TestHome = ReturnType<typeof makeHome>;

/**
 * The hooks every end-to-end file needs: the CLI built, one real server for the file (with the
 * server settings in `env`), and after each test its children killed and its homes removed.
 * `testbed.home()` makes a fresh HOME.
 */
export function useTestbed(env: Record<string, string> = {}): { readonly server: TestServer; home(): TestHome } {
  let server: TestServer | undefined;
  const homes: TestHome[] = [];
  beforeAll(async () => {
    assertBuilt();
    server = await startTestServer(env);
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(() => {
    killChildren();
    for (const home of homes.splice(0)) home.remove();
  });
  return {
    get server() {
      if (!server) throw new Error("the test server is not started yet (use it inside a test)");
      return server;
    },
    home() {
      const made = makeHome();
      homes.push(made);
      return made;
    },
  };
}

/**
 * The environment a CLI run gets: built from nothing, so the machine's own CI, SSH, DISPLAY or
 * HARMONT_TOKEN never leak in. Add what a test needs with `extra`.
 */
export function cliEnv(home: string, apiUrl: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    LANG: "C.UTF-8",
    HARMONT_API_URL: apiUrl,
    // A desktop developer's machine would otherwise prompt for its real keychain.
    ...(process.platform === "linux" ? {} : { HARMONT_KEYCHAIN: "off" }),
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The environment for the stand-in browser (test/support/opener.mjs). */
export function openerEnv(server: TestServer, webToken: string, mode: string, log: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HARMONT_BROWSER: `"${process.execPath}" "${openerScript}"`,
    HARMONT_TEST_API_URL: server.url,
    HARMONT_TEST_WEB_TOKEN: webToken,
    HARMONT_TEST_OPENER_MODE: mode,
    HARMONT_TEST_OPENER_LOG: log,
    ...extra,
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const children = new Set<ChildProcess>();

/** Runs the built CLI; stdin is `input` (then closed), never a terminal. Killed after `timeoutMs`. */
export function runHarmont(args: string[], options: { env: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliRun> {
  return spawnHarmont(args, options).done;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it has written so far. */
  readonly output: { stdout: string; stderr: string };
  /** Resolves when it exits. */
  done: Promise<CliRun>;
}

/** Starts the built CLI as `runHarmont` does, for a test that talks to it while it runs. */
export function spawnHarmont(args: string[], options: { env: Record<string, string>; input?: string; timeoutMs?: number }): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [cliMain, ...args], { env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  child.stdin!.on("error", () => {}); // the CLI may exit before reading everything
  child.stdin!.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const done = new Promise<CliRun>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout: output.stdout, stderr: output.stderr, durationMs: Date.now() - started });
    });
  });
  return { child, output, done };
}

/** Kills every CLI still running (for afterEach). */
export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}

export async function waitUntil<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
