// Bench fixtures: users and live sessions written straight into the server's SQLite file, in
// the shape of packages/server/src/store/migrations.ts (times are integer milliseconds).
import { createHash, randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import Database from "better-sqlite3";

const DAY_MS = 24 * 60 * 60 * 1000;
const YEAR_MS = 365 * DAY_MS;

/** The server's parameters (argon2id, 19 MiB, t = 2, p = 1): the hash is computed once. */
const ARGON2ID = 2;
const argonOptions = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

const base64url = (bytes) => bytes.toString("base64url");
export const newSessionToken = () => `hmt_${base64url(randomBytes(32))}`;
export const tokenHash = (token) => createHash("sha256").update(token).digest("base64url");
const newId = (prefix) => `${prefix}_${base64url(randomBytes(15))}`;

/**
 * Opens the database the server created (its migrations have run) and inserts `count` users,
 * each with one session. Every user shares one argon2 hash of `password`. Returns the open
 * connection and the tokens in the clear, in insertion order.
 */
export async function insertFixtures(path, { count, password }) {
  const passwordHash = await hash(password, argonOptions);
  const db = new Database(path);
  db.pragma("busy_timeout = 5000");
  const tables = db.prepare("select name from sqlite_master where type = 'table'").pluck().all();
  for (const table of ["users", "sessions"]) {
    if (!tables.includes(table)) throw new Error(`${path} has no ${table} table: did the server run its migrations?`);
  }

  const insertUser = db.prepare(
    `insert into users (id, email, name, password_hash, email_verified_at, disabled_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, null, ?, ?)`,
  );
  const insertSession = db.prepare(
    `insert into sessions (id, token_hash, user_id, kind, name, parent_session_id, org_id, impersonator_user_id,
       second_factor_pending, ip, user_agent, created_at, last_used_at, idle_timeout_ms, absolute_expires_at)
     values (?, ?, ?, ?, ?, null, null, null, 0, '127.0.0.1', 'harmont-bench', ?, ?, ?, ?)`,
  );

  const now = Date.now();
  const sessions = [];
  db.transaction(() => {
    for (let index = 0; index < count; index++) {
      const userId = newId("usr");
      const number = String(index).padStart(5, "0");
      insertUser.run(userId, `bench-${number}@bench.example.com`, `Bench user ${number}`, passwordHash, now, now, now);
      const token = newSessionToken();
      const cli = index % 4 === 0;
      const sessionId = newId("ses");
      insertSession.run(
        sessionId,
        tokenHash(token),
        userId,
        cli ? "cli" : "web",
        cli ? "harmont CLI on bench" : "Web session",
        now,
        now,
        (cli ? 30 : 7) * DAY_MS,
        now + 10 * YEAR_MS,
      );
      sessions.push({ token, sessionId, userId });
    }
  })();

  const counted = {
    users: db.prepare("select count(*) from users").pluck().get(),
    sessions: db.prepare("select count(*) from sessions").pluck().get(),
  };
  return { db, sessions, counted };
}

/**
 * Sets a session's last use to now, so the server's once-a-minute `last_used_at` write does not
 * happen while it is measured.
 */
export function markUsedNow(db, sessionId) {
  db.prepare("update sessions set last_used_at = ? where id = ?").run(Date.now(), sessionId);
}
