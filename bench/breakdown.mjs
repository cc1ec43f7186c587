#!/usr/bin/env node
// The session check, layer by layer, measured in process (no sockets, no wrk): how long each
// part of `GET /api/v0/auth/session` takes on its own, so the next optimisation is chosen from
// numbers. Run by `npm run bench` (or alone: `node bench/breakdown.mjs [sqlite|postgres-url]`);
// prints one JSON object on stdout.
//
// Layers: the whole request through the Hono app (`app.request`, which skips the HTTP parser
// and the socket), the same with the access log off (their difference is the log line), a
// public route through the same middleware (routing, request id, CORS, headers, access log),
// the same request with the read replaced by its answer (their difference is what the read
// costs within a request), then, each alone in a loop: the token's hash, the indexed read, the
// session check's checks around it, and the JSON answer.
import { Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createPostgresDatabase, insertFixtures } from "./fixtures.mjs";

const dist = fileURLToPath(new URL("../packages/server/dist/", import.meta.url));
const { loadConfig } = await import(join(dist, "config.js"));
const { buildServer, createLogger } = await import(join(dist, "server.js"));
const { hashSecret } = await import(join(dist, "auth/tokens.js"));
const { validateSessionToken } = await import(join(dist, "auth/sessions.js"));
const { toSessionBody, toUserBody } = await import(join(dist, "routes/schemas.js"));

const ITERATIONS = Number(process.env.BENCH_BREAKDOWN_ITERATIONS ?? 20_000);
const WARMUP = Math.ceil(ITERATIONS / 4);

/**
 * Microseconds per call of each of `works`, after a warm-up: the median of five rounds. The
 * rounds take turns (every work once per round), so a change in the machine's load during the
 * measurement moves every figure alike instead of the ones measured last.
 */
async function timeEach(works) {
  const entries = Object.entries(works);
  for (const [, work] of entries) for (let index = 0; index < WARMUP; index++) await work();
  const rounds = Object.fromEntries(entries.map(([name]) => [name, []]));
  const count = Math.ceil(ITERATIONS / 5);
  for (let round = 0; round < 5; round++) {
    for (const [name, work] of entries) {
      const started = performance.now();
      for (let index = 0; index < count; index++) await work();
      rounds[name].push(((performance.now() - started) * 1000) / count);
    }
  }
  return Object.fromEntries(
    entries.map(([name]) => {
      const sorted = rounds[name].sort((a, b) => a - b);
      return [name, Number(sorted[2].toFixed(2))];
    }),
  );
}

const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function build(databaseUrl, accessLog) {
  const config = loadConfig({
    HARMONT_DATABASE_URL: databaseUrl,
    HARMONT_LOG_LEVEL: "info",
    HARMONT_ACCESS_LOG: accessLog ? "on" : "off",
    HARMONT_LIMIT_CLI_PER_IP: "0",
    HARMONT_LIMIT_LOGIN_PER_IP: "0",
  });
  return buildServer(config, { logger: createLogger(config, discard) });
}

export async function measureBreakdown(target) {
  const tmp = mkdtempSync(join(os.tmpdir(), "harmont-breakdown-"));
  let database = null;
  try {
    let databaseUrl;
    let fixturesTarget;
    if (target === "sqlite") {
      const path = join(tmp, "breakdown.db");
      databaseUrl = `sqlite:${path}`;
      fixturesTarget = { kind: "sqlite", path };
    } else {
      database = await createPostgresDatabase(target, `harmont_bench_breakdown_${Date.now().toString(36)}`);
      databaseUrl = database.url;
      fixturesTarget = { kind: "postgres", url: database.url };
    }
    const logged = await build(databaseUrl, true);
    const quiet = await build(databaseUrl, false);
    const fixtures = await insertFixtures(fixturesTarget, { users: 10_000, sessions: 10_000, password: "bench fixture password" });
    const chosen = fixtures.samples[Math.floor(fixtures.samples.length / 2)];
    const init = { headers: { authorization: `Bearer ${chosen.token}` } };
    const url = "http://127.0.0.1/api/v0/auth/session";
    const first = await logged.app.request(url, init);
    if (first.status !== 200) throw new Error(`the session check answered ${first.status}`);
    const auth = logged.deps.auth;
    const hash = hashSecret(chosen.token);
    const found = await auth.store.sessions.findWithUserByTokenHash(hash);

    // Keep the once-a-minute last_used_at write out of the figures: mark the session used now, often.
    const keepFresh = setInterval(() => void fixtures.markUsedNow(chosen.sessionId), 20_000);
    await fixtures.markUsedNow(chosen.sessionId);
    // The same app once more, its read replaced by a copy of the row it returns: the difference
    // is what the read costs inside a whole request, where the rest of the request's work has
    // pushed SQLite's code and pages out of the CPU's caches (more than the read alone, timed
    // in a loop).
    const unread = await build(databaseUrl, true);
    unread.deps.auth.store.sessions.findWithUserByTokenHash = async () => ({ ...found, session: { ...found.session, lastUsedAt: Date.now() } });
    const whole = await timeEach({
      request: async () => (await logged.app.request(url, init)).arrayBuffer(),
      requestWithoutAccessLog: async () => (await quiet.app.request(url, init)).arrayBuffer(),
      requestWithoutRead: async () => (await unread.app.request(url, init)).arrayBuffer(),
      publicRoute: async () => (await logged.app.request("http://127.0.0.1/api/v0/health")).arrayBuffer(),
    });
    const parts = await timeEach({
      tokenHash: () => hashSecret(chosen.token),
      read: () => auth.store.sessions.findWithUserByTokenHash(hash),
      sessionCheck: () => validateSessionToken(auth, chosen.token, "127.0.0.1"),
      jsonAnswer: () => JSON.stringify({ user: toUserBody(found.user), session: toSessionBody(found.session, found.orgRole), impersonation: null }),
    });
    const layers = { ...whole, ...parts };
    clearInterval(keepFresh);
    await fixtures.close();
    await logged.close();
    await quiet.close();
    await unread.close();
    const derived = {
      accessLog: Number((layers.request - layers.requestWithoutAccessLog).toFixed(2)),
      readInRequest: Number((layers.request - layers.requestWithoutRead).toFixed(2)),
      // What the route adds to the shared middleware: its guard (the session check) and its answer.
      sessionRouteOverPublicRoute: Number((layers.request - layers.publicRoute).toFixed(2)),
    };
    return { database: target === "sqlite" ? "sqlite" : "postgres", iterations: ITERATIONS, microseconds: layers, derived };
  } finally {
    await database?.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = process.argv[2] ?? "sqlite";
  const result = await measureBreakdown(target);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
