/**
 * A PostgreSQL restart under load: the server process survives it, answers 503 (never 500)
 * while the database is away, and serves again within seconds of its return. Regression test
 * for connections that failed while checked out of the pool and ended the process.
 *
 * The test restarts a private, throwaway cluster made here with the machine's own PostgreSQL
 * tools (initdb, pg_ctl), never the shared one the rest of the suite runs against. Without the
 * tools it is skipped with a message; under CI with PostgreSQL configured that is a failure.
 * Runs the built server (`npm test` builds it first).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/store/database.js";
import { isDatabaseUnavailableError } from "../src/store/errors.js";
import { postgresUrl } from "../src/test-support/databases.js";
import { findFreePort } from "../src/test-support/ports.js";

const mainScript = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const PASSWORD = "correct horse battery staple";
/** Concurrent request loops: most check the session (one pooled read), some mint paste codes (a transaction). */
const SESSION_LOOPS = 14;
const WRITE_LOOPS = 8;
/** How long after PostgreSQL is back the server must answer 200 again. */
const RECOVERY_LIMIT_MS = 5_000;
/** No single request may hang: a stuck pool would show up here rather than as a slow test. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Every PostgreSQL command is killed if it takes longer than this. */
const COMMAND_TIMEOUT_MS = 30_000;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

// --- A private PostgreSQL cluster ------------------------------------------------------------

interface PostgresTools {
  bin: string;
  /** Set when this process is root: PostgreSQL refuses to run as root, so it runs as this user. */
  runAs: { name: string; uid: number; gid: number } | null;
}

/** The newest PostgreSQL with initdb and pg_ctl under Debian's layout, or why there is none. */
function findPostgresTools(): PostgresTools | string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => /^\d+$/.test(version) && existsSync(join(root, version, "bin", "initdb")) && existsSync(join(root, version, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) return `no PostgreSQL server tools (initdb, pg_ctl) under ${root}`;
  const bin = join(root, versions[0]!, "bin");
  if (process.getuid?.() !== 0) return { bin, runAs: null };
  const entry = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === "postgres");
  if (!entry) return "running as root and there is no postgres user to run PostgreSQL as";
  if (spawnSync("runuser", ["--help"], { stdio: "ignore", timeout: 5_000 }).status !== 0) return "running as root and runuser is not available";
  return { bin, runAs: { name: "postgres", uid: Number(entry[2]), gid: Number(entry[3]) } };
}

function commandFor(tools: PostgresTools, program: string, args: string[]): [string, string[]] {
  const path = join(tools.bin, program);
  return tools.runAs ? ["runuser", ["-u", tools.runAs.name, "--", path, ...args]] : [path, args];
}

/** Runs a PostgreSQL tool without blocking the event loop (the load keeps running), bounded in time. */
function runTool(tools: PostgresTools, program: string, args: string[]): Promise<void> {
  const [command, commandArgs] = commandFor(tools, program, args);
  return new Promise((resolve, reject) => {
    execFile(command, commandArgs, { timeout: COMMAND_TIMEOUT_MS, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

interface PrivateCluster {
  url: string;
  /** `pg_ctl restart -m fast`: every session is ended with 57P01, then the server is back. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster at once and deletes its files; safe to call more than once. */
  destroy(): void;
}

async function createPrivateCluster(tools: PostgresTools, password: string): Promise<PrivateCluster> {
  const base = mkdtempSync(join(tmpdir(), "harmont-pg-restart-"));
  const data = join(base, "data");
  const log = join(base, "postgres.log");
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    if (existsSync(join(data, "postmaster.pid"))) {
      const [command, args] = commandFor(tools, "pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "10"]);
      spawnSync(command, args, { stdio: "ignore", timeout: 15_000, killSignal: "SIGKILL" });
    }
    rmSync(base, { recursive: true, force: true });
  };
  // Also when the worker ends without running afterAll (a crash or a timeout in a hook).
  process.once("exit", destroy);
  try {
    if (tools.runAs) chownSync(base, tools.runAs.uid, tools.runAs.gid);
    await runTool(tools, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    const port = await findFreePort();
    // Loopback only, no Unix socket, and no durability: the cluster lives for one test.
    appendFileSync(
      join(data, "postgresql.conf"),
      [
        "",
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        "unix_socket_directories = ''",
        "max_connections = 40",
        "shared_buffers = 16MB",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "",
      ].join("\n"),
    );
    writeFileSync(join(data, "pg_hba.conf"), "host all postgres 127.0.0.1/32 trust\n");
    const ctl = (...args: string[]) => runTool(tools, "pg_ctl", [...args, "-D", data, "-l", log, "-w", "-t", "20"]);
    await ctl("start");
    return {
      // Trust ignores the password; it is there so the test can check that it never reaches a log line.
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      restart: () => ctl("restart", "-m", "fast"),
      stop: () => ctl("stop", "-m", "fast"),
      start: () => ctl("start"),
      destroy,
    };
  } catch (error) {
    destroy();
    throw error;
  }
}

// --- The server process and its load ---------------------------------------------------------

interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
  exited: Promise<void>;
}

function startServerProcess(port: number, databaseUrl: string): ServerProcess {
  const env: NodeJS.ProcessEnv = {};
  // Only this test's settings reach the server: nothing HARMONT_* leaks in from the shell.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("HARMONT_")) env[key] = value;
  Object.assign(env, {
    PORT: String(port),
    HARMONT_HOST: "127.0.0.1",
    HARMONT_DATABASE_URL: databaseUrl,
    HARMONT_LOG_LEVEL: "warn",
    // The paste-code loops would reach the flood ceiling within the test.
    HARMONT_LIMIT_CLI_PER_IP: "1000000",
  });
  const child = spawn(process.execPath, [mainScript], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, baseUrl: `http://127.0.0.1:${port}`, output, exited };
}

function isAlive(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

function describeExit(server: ServerProcess): string {
  return `server exited (code ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.output.join("").slice(-4_000)}`;
}

async function waitUntilReady(server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(server)) throw new Error(describeExit(server));
    try {
      if ((await fetch(`${server.baseUrl}/api/v0/meta`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`server did not answer /api/v0/meta within ${timeoutMs} ms:\n${server.output.join("")}`);
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (!isAlive(server)) return;
  server.child.kill("SIGTERM");
  const stopped = await Promise.race([server.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    server.child.kill("SIGKILL");
    await server.exited;
  }
}

type RequestKind = "session" | "write";

interface Answer {
  kind: RequestKind;
  startedAt: number;
  /** The HTTP status, or what happened instead. */
  status: number | "unreachable" | "timeout";
  /** The envelope's error code, for answers of 500 and up. */
  code?: string;
}

const requests: Record<RequestKind, { method: string; path: string }> = {
  session: { method: "GET", path: "/api/v0/auth/session" },
  write: { method: "POST", path: "/api/v0/auth/cli/code" },
};

function errorCodeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Loops of back-to-back requests until stopped; every answer is recorded. */
function driveLoad(server: ServerProcess, token: string) {
  const answers: Answer[] = [];
  let stopped = false;
  const loop = async (kind: RequestKind) => {
    const { method, path } = requests[kind];
    while (!stopped) {
      const startedAt = Date.now();
      try {
        const response = await fetch(`${server.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        const answer: Answer = { kind, startedAt, status: response.status };
        if (response.status >= 500) answer.code = errorCodeOf(text);
        answers.push(answer);
      } catch (error) {
        const timedOut = (error as Error).name === "TimeoutError";
        answers.push({ kind, startedAt, status: timedOut ? "timeout" : "unreachable" });
        // A dead server refuses at once: do not spin on it.
        if (!timedOut) await sleep(50);
      }
    }
  };
  const loops = [
    ...Array.from({ length: SESSION_LOOPS }, () => loop("session")),
    ...Array.from({ length: WRITE_LOOPS }, () => loop("write")),
  ];
  return {
    answers,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Milliseconds from `since` to the first request of `kind` started then or later that got a 200. */
async function waitForRecovery(server: ServerProcess, answers: Answer[], kind: RequestKind, since: number): Promise<number | null> {
  const deadline = since + RECOVERY_LIMIT_MS * 2;
  let checked = 0;
  while (Date.now() < deadline && isAlive(server)) {
    for (; checked < answers.length; checked++) {
      const answer = answers[checked]!;
      if (answer.kind === kind && answer.status === 200 && answer.startedAt >= since) return answer.startedAt - since;
    }
    await sleep(25);
  }
  return null;
}

// --- The test --------------------------------------------------------------------------------

const tools = findPostgresTools();
const unavailable = typeof tools === "string" ? tools : null;
if (unavailable) {
  // The suite's rule: CI with PostgreSQL configured runs every PostgreSQL test, it cannot go green by skipping.
  if (process.env.CI === "true" && postgresUrl) {
    throw new Error(`CI=true and HARMONT_TEST_DATABASE_URL is set, but ${unavailable}: the PostgreSQL restart test must run in CI`);
  }
  console.warn(`[harmont] ${unavailable}: skipping the PostgreSQL restart test`);
}

describe.skipIf(unavailable !== null)("a PostgreSQL restart under load", () => {
  const password = `restart-${randomBytes(12).toString("hex")}`;
  let cluster: PrivateCluster | undefined;
  let server: ServerProcess | undefined;
  let token: string;

  beforeAll(async () => {
    if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run \`npm run build\` first`);
    cluster = await createPrivateCluster(tools as PostgresTools, password);
    server = startServerProcess(await findFreePort(), cluster.url);
    await waitUntilReady(server);
    const signup = await fetch(`${server.baseUrl}/api/v0/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `restart-${randomBytes(6).toString("hex")}@example.com`, password: PASSWORD }),
    });
    expect(signup.status).toBe(201);
    token = ((await signup.json()) as { token: string }).token;
  }, 60_000);

  afterAll(async () => {
    if (server) await stopServerProcess(server);
    cluster?.destroy();
  }, 30_000);

  it("reports a connection lost while checked out, fails its transaction as unavailable, and does not reuse it", async () => {
    const reported: Error[] = [];
    const database = await openDatabase(cluster!.url, { poolSize: 2, onBackgroundError: (error) => reported.push(error) });
    try {
      const pool = database.pool!;
      const outcome = await database.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // Another connection ends this one between two statements, as a restart does: the
          // client is checked out with no query in flight, where pg-pool does not listen.
          await pool.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
          const deadline = Date.now() + 5_000;
          while (reported.length === 0 && Date.now() < deadline) await sleep(10);
          await sql`select 1`.execute(trx);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(isDatabaseUnavailableError(outcome), String(outcome)).toBe(true);
      // Reported once, with the server's code (the closed socket that follows is not news).
      expect(reported.map((error) => (error as { code?: string }).code)).toEqual(["57P01"]);
      // Released, the broken client left the pool; the one that ended it is still there, and works.
      expect(pool.totalCount).toBe(1);
      await database.ping();
      expect(pool.totalCount).toBe(1);
    } finally {
      await database.close();
    }
  });

  it("keeps the process alive through two restarts, answers 503 and never 500 meanwhile, and serves 200 again within seconds", async () => {
    const running = server!;
    const load = driveLoad(running, token);
    const recoveries: Array<{ restart: string; sessionMs: number | null; writeMs: number | null }> = [];
    try {
      await sleep(1_000);
      // First a plain restart; then a stop, a pause in which new connections are refused, and a start.
      const restarts: Array<[string, () => Promise<void>]> = [
        ["restart -m fast", () => cluster!.restart()],
        ["stop -m fast, 1 s down, start", async () => {
          await cluster!.stop();
          await sleep(1_000);
          await cluster!.start();
        }],
      ];
      for (const [name, restart] of restarts) {
        await restart();
        const backAt = Date.now();
        const [sessionMs, writeMs] = await Promise.all(
          (["session", "write"] as const).map((kind) => waitForRecovery(running, load.answers, kind, backAt)),
        );
        recoveries.push({ restart: name, sessionMs: sessionMs ?? null, writeMs: writeMs ?? null });
        if (!isAlive(running)) break;
        await sleep(1_000);
      }
    } finally {
      await load.stop();
    }

    expect(isAlive(running), describeExit(running)).toBe(true);
    const { answers } = load;
    const tally = (kind: RequestKind) => {
      const counts: Record<string, number> = {};
      for (const answer of answers) if (answer.kind === kind) counts[String(answer.status)] = (counts[String(answer.status)] ?? 0) + 1;
      return counts;
    };
    console.info(`[harmont] postgres restart: ${answers.length} requests, session ${JSON.stringify(tally("session"))}, paste code ${JSON.stringify(tally("write"))}, recovery ${JSON.stringify(recoveries)}`);

    // Every answer is a success or a 503 envelope: no 500, no hung request, no dropped connection.
    const unexpected = answers.filter((answer) => answer.status !== 200 && !(answer.status === 503 && answer.code === "service_unavailable"));
    expect(unexpected.slice(0, 10), `${unexpected.length} unexpected answers`).toEqual([]);
    // The load did meet the outage (otherwise the test proves nothing).
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
    for (const recovery of recoveries) {
      expect(recovery.sessionMs, `session checks after "${recovery.restart}"`).not.toBeNull();
      expect(recovery.sessionMs!).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
      expect(recovery.writeMs, `paste codes after "${recovery.restart}"`).not.toBeNull();
      expect(recovery.writeMs!).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
    }
    expect(recoveries).toHaveLength(2);
    // The database URL's password never reaches a log line, even in connection errors.
    expect(running.output.join("")).not.toContain(password);
  }, 60_000);
});
