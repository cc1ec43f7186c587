/**
 * An in-process server for HTTP tests: a real database (SQLite file or PostgreSQL), a fake
 * clock, captured logs, and helpers that speak JSON through `app.request`.
 */
import { Writable } from "node:stream";
import type { Clock } from "../auth/types.js";
import { loadConfig, type Config } from "../config.js";
import { buildServer, createLogger, type BuiltServer } from "../server.js";
import type { TestDatabase } from "./databases.js";
import { startTestSmtpServer, type TestSmtpServer } from "./smtp.js";

export class FakeClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
}

/** Collects every log line, so a test can search them for secrets. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    callback();
  }
  get text(): string {
    return this.lines.join("\n");
  }
}

export interface TestServer extends BuiltServer {
  clock: FakeClock;
  logs: LogCapture;
  config: Config;
  request(path: string, init?: RequestInit & { json?: unknown; token?: string; ip?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function createTestServer(database: TestDatabase, env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ HARMONT_DATABASE_URL: database.url, HARMONT_LOG_LEVEL: "debug", HARMONT_ACCESS_LOG: "on", ...env });
  const clock = new FakeClock();
  const logs = new LogCapture();
  const built = await buildServer(config, { logger: createLogger(config, logs), clock });
  return {
    ...built,
    clock,
    logs,
    config,
    request(path, init = {}) {
      const { json, token, ip, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) {
        headers.set("content-type", "application/json");
        rest.body = JSON.stringify(json);
        rest.method ??= "POST";
      }
      if (token) headers.set("authorization", `Bearer ${token}`);
      // The node adapter's socket, as the app sees it in production.
      const bindings = { incoming: { socket: { remoteAddress: ip ?? "127.0.0.1" } } };
      return Promise.resolve(built.app.request(path, { ...rest, headers }, bindings));
    },
    async close() {
      await built.close();
      await database.drop();
    },
  };
}

/** A test server whose mail goes to a real in-process SMTP server. */
export async function createTestServerWithMail(database: TestDatabase, env: Record<string, string> = {}) {
  const smtp = await startTestSmtpServer();
  const server = await createTestServer(database, { HARMONT_SMTP_URL: smtp.url, ...env });
  const close = server.close;
  return Object.assign(server, {
    smtp,
    close: async () => {
      await close();
      await smtp.close();
    },
  });
}

export async function signUp(server: TestServer, email = `user-${Math.random().toString(36).slice(2)}@example.com`, password = "correct horse battery staple") {
  const response = await server.request("/api/v0/auth/signup", { json: { email, password } });
  if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { token: string; user: { id: string; email: string } };
  return { ...body, email, password };
}

/** A signed-up person whose address is verified with the code mailed at sign-up. */
export async function signUpVerified(server: TestServer & { smtp: TestSmtpServer }, email = `user-${Math.random().toString(36).slice(2)}@example.com`) {
  const person = await signUp(server, email);
  const code = await server.smtp.latestCode(email);
  const verified = await server.request("/api/v0/auth/email/verify", { token: person.token, json: { code } });
  if (verified.status !== 200) throw new Error(`verification failed: ${verified.status} ${await verified.text()}`);
  return person;
}

/** A CLI session for the account of `webToken`, made through a paste code as the CLI makes it. */
export async function cliLogin(server: TestServer, webToken: string, ip = "198.51.100.20", name = "harmont CLI on build-box"): Promise<string> {
  const minted = await server.request("/api/v0/auth/cli/code", { method: "POST", token: webToken });
  if (minted.status !== 200) throw new Error(`paste code refused: ${minted.status} ${await minted.text()}`);
  const { code } = (await minted.json()) as { code: string };
  const redeemed = await server.request("/api/v0/auth/cli/redeem", { json: { code, name }, ip });
  if (redeemed.status !== 200) throw new Error(`redeem refused: ${redeemed.status} ${await redeemed.text()}`);
  return ((await redeemed.json()) as { token: string }).token;
}

/** A JSON answer's body, typed as the test expects it. */
export async function jsonBody<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** The `error.code` of an error envelope. */
export async function errorCode(response: Response): Promise<string> {
  return (await jsonBody<{ error: { code: string } }>(response)).error.code;
}
