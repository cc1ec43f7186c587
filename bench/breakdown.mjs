#!/usr/bin/env node
// The session check, layer by layer, measured in process (no sockets, no wrk): how long each
// part of `GET /api/v0/auth/session` takes on its own, so the next optimisation is chosen from
// numbers. Run by `npm run bench` (or alone: `node bench/breakdown.mjs [sqlite|postgres-url]`);
// prints one JSON object on stdout.
//
// Layers: the whole request through the Hono app (`app.request`, which skips the HTTP parser
// and the socket), the same with the access log off (their difference is the log line), a
// public route through the same middleware (routing, request id, CORS, headers, access log),
// the token's hash, the indexed read, the session check's checks around it, and the JSON answer.
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

/** Microseconds per call of `work`, after a warm-up: the median of five rounds. */
async function time(work) {
  for (let index = 0; index < WARMUP; index++) await work();
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const count = Math.ceil(ITERATIONS / 5);
    const started = performance.now();
    for (let index = 0; index < count; index++) await work();
    rounds.push(((performance.now() - started) * 1000) / count);
  }
  rounds.sort((a, b) => a - b);
  return Number(rounds[2].toFixed(2));
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
    const layers = {
      request: await time(async () => (await logged.app.request(url, init)).arrayBuffer()),
      requestWithoutAccessLog: await time(async () => (await quiet.app.request(url, init)).arrayBuffer()),
      publicRoute: await time(async () => (await logged.app.request("http://127.0.0.1/api/v0/health")).arrayBuffer()),
      tokenHash: await time(() => hashSecret(chosen.token)),
      read: await time(() => auth.store.sessions.findWithUserByTokenHash(hash)),
      sessionCheck: await time(() => validateSessionToken(auth, chosen.token, "127.0.0.1")),
      jsonAnswer: await time(() => JSON.stringify({ user: toUserBody(found.user), session: toSessionBody(found.session, found.orgRole), impersonation: null })),
    };
    clearInterval(keepFresh);
    await fixtures.close();
    await logged.close();
    await quiet.close();
    const derived = {
      accessLog: Number((layers.request - layers.requestWithoutAccessLog).toFixed(2)),
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
