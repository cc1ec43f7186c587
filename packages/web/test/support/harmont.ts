/**
 * A real Harmont server for one journey: listening on a free loopback port, a fresh SQLite
 * database, real mail to an in-process SMTP server, and its log lines captured so a test can
 * search them. The public URL is the origin the browser uses, so the cookie-write `Origin` check
 * sees the web app's own origin, as in production.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../../server/src/config.js";
import { createLogger, startServer } from "../../../server/src/server.js";
import { LogCapture } from "../../../server/src/test-support/harness.js";
import { findFreePort } from "../../../server/src/test-support/ports.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../../server/src/test-support/smtp.js";

export const webBuild = fileURLToPath(new URL("../../dist/index.html", import.meta.url));
/** The built `harmont-server` command, as an operator runs it beside the server. */
export const serverCommand = fileURLToPath(new URL("../../../server/bin/harmont-server.js", import.meta.url));

export interface RunningHarmont {
  url: string;
  smtp: TestSmtpServer;
  logs: LogCapture;
  /** A JSON request to the API, as a CLI or a script would make it (no cookie, no Origin). */
  api(path: string, init?: { method?: string; json?: unknown; token?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Creates an account through the API (not the browser). */
  createAccount(email: string, password: string, name?: string): Promise<void>;
  /** The 8-digit code of the first mail to `to` after `since` messages. */
  nextCode(to: string, since: number): Promise<string>;
  /** Runs `harmont-server <args>` on this server's database (`users grant-operator --email …`); throws unless it exits 0. */
  runCommand(args: string[]): string;
  stop(): Promise<void>;
}

/** `settings`: environment variables for the server (`HARMONT_HANDOFF_TTL: "3s"`), over the test's own. */
export async function startHarmont(options: { settings?: Record<string, string> } = {}): Promise<RunningHarmont> {
  if (!existsSync(webBuild)) throw new Error(`the web app is not built (${webBuild} is missing): run \`npm run build\``);
  const directory = mkdtempSync(join(tmpdir(), "harmont-web-"));
  const smtp = await startTestSmtpServer();
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite:${join(directory, "h.db")}`;
  const config = loadConfig({
    HARMONT_DATABASE_URL: databaseUrl,
    PORT: String(port),
    HARMONT_HOST: "127.0.0.1",
    HARMONT_PUBLIC_URL: url,
    HARMONT_LOG_LEVEL: "info",
    HARMONT_ACCESS_LOG: "on",
    HARMONT_SMTP_URL: smtp.url,
    ...options.settings,
  });
  const logs = new LogCapture();
  const server = await startServer(config, { logger: createLogger(config, logs) });

  const api: RunningHarmont["api"] = async (path, init = {}) => {
    const headers: Record<string, string> = {};
    if (init.json !== undefined) headers["content-type"] = "application/json";
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers,
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };

  return {
    url,
    smtp,
    logs,
    api,
    async createAccount(email, password, name) {
      const created = await api("/api/v0/auth/signup", { json: { email, password, ...(name ? { name } : {}) } });
      if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${JSON.stringify(created.body)}`);
    },
    async nextCode(to, since) {
      const mail = await smtp.waitForMail(to, since);
      const code = /\b(\d{8})\b/.exec(mail.subject)?.[1];
      if (!code) throw new Error(`no code in the mail to ${to}: ${mail.subject}`);
      return code;
    },
    runCommand(args) {
      // The database is the only setting the commands need; the test's own HARMONT_ settings are not theirs.
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("HARMONT_") && !key.startsWith("npm_") && key !== "INIT_CWD"));
      const ran = spawnSync(process.execPath, [serverCommand, ...args], {
        cwd: directory,
        env: { ...env, HARMONT_DATABASE_URL: databaseUrl, HARMONT_LOG_LEVEL: "warn" },
        input: "",
        encoding: "utf8",
      });
      if (ran.status !== 0) throw new Error(`harmont-server ${args.join(" ")} exited with ${ran.status}: ${ran.stderr}`);
      return ran.stdout;
    },
    async stop() {
      await server.stop();
      await smtp.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
