// A Better Auth server for the bench: the peer that Harmont's session check is compared with.
//
//   node bench/peers/better-auth-server.mjs [db-path] [port]
//
// db-path  the SQLite file to use (a fresh one); else $BETTER_AUTH_BENCH_DB; else a file in a new
//          temporary directory, removed when the server stops.
// port     the port to listen on, on 127.0.0.1 only; else $BETTER_AUTH_BENCH_PORT; else 0, so the
//          OS picks a free one.
//
// Better Auth runs with email/password sign-up and the bearer plugin, on better-sqlite3. Its
// tables are created at start through Better Auth's own migration helper. When the tables exist
// and the server listens, it reports { port, db } the way bench/bare-server.mjs reports its port:
// over IPC when started with child_process.fork, else as one JSON line on stdout.
//
// The secret is $BETTER_AUTH_SECRET when set (a fixture helper that signs tokens for rows written
// straight into the database needs the same one), else random for this process.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Better Auth's usage telemetry is off unless asked for, and BETTER_AUTH_TELEMETRY=1 in the
// environment would ask for it; this server never sends any.
delete process.env.BETTER_AUTH_TELEMETRY;
delete process.env.BETTER_AUTH_TELEMETRY_DEBUG;

// Imported only now, after the environment above is settled.
const { betterAuth } = await import("better-auth");
const { bearer } = await import("better-auth/plugins");
const { toNodeHandler } = await import("better-auth/node");
const { getMigrations } = await import("better-auth/db/migration");
const { default: Database } = await import("better-sqlite3");

function fail(message) {
  process.stderr.write(`better-auth-server: ${message}\n`);
  process.exit(2);
}

const [dbArg, portArg] = process.argv.slice(2);
let tempDir = null;
let dbPath = dbArg || process.env.BETTER_AUTH_BENCH_DB || "";
if (dbPath) {
  dbPath = resolve(dbPath);
} else {
  tempDir = mkdtempSync(join(tmpdir(), "better-auth-bench-"));
  dbPath = join(tempDir, "better-auth.db");
}
const portText = portArg ?? process.env.BETTER_AUTH_BENCH_PORT ?? "0";
if (!/^\d+$/.test(portText) || Number(portText) > 65535) fail(`the port must be a number from 0 to 65535 (got "${portText}")`);
const secret = process.env.BETTER_AUTH_SECRET || randomBytes(32).toString("base64url");

const db = new Database(dbPath);
// The settings a served SQLite database usually gets; Harmont's own server uses WAL as well.
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");

let auth = null;
let handle = null;
const server = createServer((request, response) => {
  if (handle) {
    void handle(request, response);
    return;
  }
  // Listening, but the tables are not there yet; nobody has been told the port at this point.
  response.writeHead(503, { "content-type": "text/plain" }).end("starting\n");
});

function listen() {
  return new Promise((done, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), "127.0.0.1", () => {
      server.off("error", reject);
      done(server.address().port);
    });
  });
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  try {
    db.close();
  } catch {
    // already closed
  }
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => stop(0));
// Forked by the bench: when the parent goes away without stopping this process, stop anyway.
process.once("disconnect", () => {
  if (!handle) stop(1);
});

try {
  // Listening first gives the real port, which becomes Better Auth's base URL.
  const port = await listen();
  const options = {
    baseURL: `http://127.0.0.1:${port}`,
    secret,
    database: db,
    emailAndPassword: { enabled: true },
    plugins: [bearer()],
    // Off so that wrk measures the handler: with rate limiting on, most of a run would be 429
    // answers. (Better Auth enables it by default only when NODE_ENV is production; this is
    // explicit so the environment cannot change what is measured.) The Harmont server is run with
    // its per-IP limits off for the same reason.
    rateLimit: { enabled: false },
    // Only errors are written, to stderr; nothing is logged per request.
    logger: { level: "error" },
    telemetry: { enabled: false },
    // Everything else keeps Better Auth's defaults. In particular the session cookie cache stays
    // off (its default), so every get-session reads the session and user from SQLite, as Harmont's
    // session check does; sessions are refreshed (one write) only once they are a day old.
  };

  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
  if (toBeCreated.length > 0 || toBeAdded.length > 0) await runMigrations();

  auth = betterAuth(options);
  handle = toNodeHandler(auth);

  const ready = { port, db: dbPath };
  if (process.send) process.send(ready);
  else process.stdout.write(`${JSON.stringify(ready)}\n`);
} catch (error) {
  process.stderr.write(`better-auth-server: could not start: ${error?.stack ?? error}\n`);
  stop(1);
}
