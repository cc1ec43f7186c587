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

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const directory = mkdtempSync(join(tmpdir(), "harmont-cli-server-"));
  const config = loadConfig({
    HARMONT_DATABASE_URL: `sqlite:${join(directory, "h.db")}`,
    PORT: "0",
    HARMONT_HOST: "127.0.0.1",
    HARMONT_LOG_LEVEL: "silent",
    HARMONT_LIMIT_SIGNUP_PER_IP: "0",
    ...env,
  });
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const running: RunningServer = await startServer(config, { logger: createLogger(config, silent) });
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
 * The hooks every end-to-end file needs: the CLI built, one real server for the file, and after
 * each test its children killed and its homes removed. `testbed.home()` makes a fresh HOME.
 */
export function useTestbed(): { readonly server: TestServer; home(): TestHome } {
  let server: TestServer | undefined;
  const homes: TestHome[] = [];
  beforeAll(async () => {
    assertBuilt();
    server = await startTestServer();
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
  const started = Date.now();
  const child = spawn(process.execPath, [cliMain, ...args], { env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on("error", () => {}); // the CLI may exit before reading everything
  child.stdin!.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
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
