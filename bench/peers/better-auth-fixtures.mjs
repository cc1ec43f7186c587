// Fixtures for the Better Auth peer (better-auth-server.mjs): one user signed up through Better
// Auth's HTTP API, whose bearer token the bench loads get-session with, and optionally more users
// and sessions written straight into the peer's SQLite file so that its session table holds as
// many rows as Harmont's does in the same run.
//
//   const fx = await prepareBetterAuthFixtures(base, { count: 10_000, dbPath, secret });
//   // fx.token: send it as "Authorization: Bearer <fx.token>" to GET /api/auth/get-session
//
// Only node:crypto and better-sqlite3 (from bench/peers/node_modules) are used.
import { createHmac, randomBytes, randomInt } from "node:crypto";
import Database from "better-sqlite3";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Better Auth's default session lifetime (session.expiresIn: 7 days), which the peer keeps. */
const SESSION_LIFETIME_MS = 7 * DAY_MS;

export const BETTER_AUTH_SESSION_PATH = "/api/auth/get-session";
const SIGN_UP_PATH = "/api/auth/sign-up/email";

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** 32 alphanumeric characters: the shape of Better Auth's own ids and session tokens. */
function randomId() {
  let id = "";
  for (let index = 0; index < 32; index++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}

/**
 * The bearer form of a session token, as the bearer plugin hands it out in `set-auth-token`:
 * `<token>.<base64 HMAC-SHA256 of the token under the secret>`. The plugin also accepts the bare
 * token and signs it itself on every request, which costs one more HMAC; the signed form is what a
 * Better Auth client sends, so it is the one to load the server with.
 */
export function signedBearer(token, secret) {
  return `${token}.${createHmac("sha256", secret).update(token).digest("base64")}`;
}

async function call(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: left null, the caller reports the text
  }
  return { status: response.status, headers: response.headers, json, text };
}

const withoutSlash = (base) => String(base).replace(/\/+$/, "");

/**
 * Signs up one user with `POST /api/auth/sign-up/email`. Better Auth signs a new user in at once
 * (autoSignIn is on by default), and the bearer plugin puts the session token, signed, in the
 * `set-auth-token` response header. Returns that token with the ids of the user and the session.
 */
export async function signUpBetterAuthUser(base, { email, password = "bench peer password", name = "Bench peer user" } = {}) {
  const address = email ?? `bench-peer-${randomId().slice(0, 12).toLowerCase()}@bench.example.com`;
  const url = `${withoutSlash(base)}${SIGN_UP_PATH}`;
  const got = await call(url, {
    method: "POST",
    // fetch sends Sec-Fetch-Mode: cors, which Better Auth's CSRF check takes for a browser; a
    // browser on the server's own origin would also send Origin, and so does this request.
    headers: { "content-type": "application/json", origin: new URL(url).origin },
    body: JSON.stringify({ email: address, password, name }),
  });
  const token = got.headers.get("set-auth-token");
  if (got.status !== 200 || !token || typeof got.json?.user?.id !== "string") {
    throw new Error(
      `Better Auth sign-up: status ${got.status}, set-auth-token ${token ? "present" : "absent"}\n  POST ${url}\n  body: ${got.text.slice(0, 500)}`,
    );
  }
  const check = await checkBetterAuthSession(base, token, { userId: got.json.user.id });
  return { token, email: address, password, userId: got.json.user.id, sessionId: check.session.id };
}

/**
 * `GET /api/auth/get-session` with `Authorization: Bearer <token>` must answer 200 with the user.
 * Better Auth answers 200 with the body `null` for a token it does not know, so the status alone
 * says nothing: the body is what is checked here (and what a bench must check before and after a
 * run, since wrk's count of non-2xx answers cannot see a wrong token). Returns the body.
 */
export async function checkBetterAuthSession(base, token, { userId, sessionId } = {}) {
  const url = `${withoutSlash(base)}${BETTER_AUTH_SESSION_PATH}`;
  const got = await call(url, { headers: { authorization: `Bearer ${token}` } });
  let problem = null;
  if (got.status !== 200) problem = `status ${got.status}, expected 200`;
  else if (!got.json?.user?.id || !got.json?.session?.id) problem = "no session for this token (the body has no user)";
  else if (userId && got.json.user.id !== userId) problem = `the answer names user ${got.json.user.id}, expected ${userId}`;
  else if (sessionId && got.json.session.id !== sessionId) problem = `the answer names session ${got.json.session.id}, expected ${sessionId}`;
  if (problem) throw new Error(`Better Auth get-session: ${problem}\n  GET ${url}\n  body: ${got.text.slice(0, 500)}`);
  return got.json;
}

/**
 * Writes `count` users straight into the peer's SQLite file, in one transaction, each with a
 * credential account and one live session, in the shapes Better Auth's migration created (ids and
 * tokens of 32 alphanumeric characters, times as ISO strings, as Better Auth writes them on
 * SQLite). Every account shares `passwordHash` (a hash Better Auth made, say the signed-up user's),
 * as Harmont's fixture users share one argon2 hash. With `secret`, the returned tokens are in the
 * signed bearer form; without it they are bare, which the bearer plugin also accepts.
 */
export function insertBetterAuthFixtures(dbPath, { count, passwordHash, secret } = {}) {
  if (!Number.isInteger(count) || count < 0) throw new Error(`insertBetterAuthFixtures: count must be a whole number (got ${count})`);
  const db = new Database(dbPath);
  try {
    db.pragma("busy_timeout = 5000");
    const tables = db.prepare("select name from sqlite_master where type = 'table'").pluck().all();
    for (const table of ["user", "session", "account"]) {
      if (!tables.includes(table)) throw new Error(`${dbPath} has no "${table}" table: did the Better Auth peer create its schema?`);
    }
    const hash = passwordHash ?? db.prepare(`select password from "account" where providerId = 'credential' and password is not null limit 1`).pluck().get();
    const insertUser = db.prepare(
      `insert into "user" (id, name, email, emailVerified, image, createdAt, updatedAt) values (?, ?, ?, 0, null, ?, ?)`,
    );
    const insertAccount = db.prepare(
      `insert into "account" (id, accountId, providerId, userId, password, createdAt, updatedAt) values (?, ?, 'credential', ?, ?, ?, ?)`,
    );
    const insertSession = db.prepare(
      `insert into "session" (id, expiresAt, token, createdAt, updatedAt, ipAddress, userAgent, userId)
       values (?, ?, ?, ?, ?, '127.0.0.1', 'harmont-bench', ?)`,
    );

    const now = new Date();
    const nowText = now.toISOString();
    const expiresText = new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString();
    const sessions = [];
    db.transaction(() => {
      for (let index = 0; index < count; index++) {
        const userId = randomId();
        const number = String(index).padStart(5, "0");
        insertUser.run(userId, `Bench peer user ${number}`, `bench-peer-${number}@bench.example.com`, nowText, nowText);
        if (hash) insertAccount.run(randomId(), userId, userId, hash, nowText, nowText);
        const token = randomId();
        const sessionId = randomId();
        insertSession.run(sessionId, expiresText, token, nowText, nowText, userId);
        sessions.push({ token: secret ? signedBearer(token, secret) : token, sessionId, userId });
      }
    })();
    return { sessions, counted: countRows(db) };
  } finally {
    db.close();
  }
}

function countRows(db) {
  return {
    users: db.prepare(`select count(*) from "user"`).pluck().get(),
    sessions: db.prepare(`select count(*) from "session"`).pluck().get(),
  };
}

/**
 * The fixtures a bench run needs from the peer at `base`: one user signed up over HTTP (its
 * bearer token is `token`, checked with get-session), then, when `count` is above 1 and `dbPath`
 * is given, `count - 1` more users and sessions written into that SQLite file, so the tables hold
 * `count` of each in all. `secret` (the peer's BETTER_AUTH_SECRET) signs the inserted sessions'
 * tokens; one of them is checked over HTTP as well. `counted` is the number of rows in the
 * user and session tables afterwards (null without dbPath).
 */
export async function prepareBetterAuthFixtures(base, { count = 1, dbPath, secret, password } = {}) {
  const signedUp = await signUpBetterAuthUser(base, { password });
  let extra = { sessions: [], counted: null };
  if (count > 1) {
    if (!dbPath) throw new Error("prepareBetterAuthFixtures: more than one user needs dbPath, the peer's SQLite file");
    extra = insertBetterAuthFixtures(dbPath, { count: count - 1, secret });
    const probe = extra.sessions[Math.floor(extra.sessions.length / 2)];
    await checkBetterAuthSession(base, probe.token, { userId: probe.userId, sessionId: probe.sessionId });
  }
  let counted = extra.counted;
  if (!counted && dbPath) {
    const db = new Database(dbPath, { readonly: true });
    try {
      counted = countRows(db);
    } finally {
      db.close();
    }
  }
  return {
    token: signedUp.token,
    userId: signedUp.userId,
    sessionId: signedUp.sessionId,
    email: signedUp.email,
    password: signedUp.password,
    sessions: extra.sessions,
    counted,
  };
}
