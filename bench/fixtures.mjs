// Bench fixtures: users and live sessions written straight into the server's database (SQLite
// or PostgreSQL), in the shape of packages/server/src/store/migrations.ts (times are integer
// milliseconds), in bulk: one transaction on SQLite, multi-row inserts of 10,000 on PostgreSQL.
import { createHash, randomBytes } from "node:crypto";
import { hash } from "@node-rs/argon2";
import Database from "better-sqlite3";
import pg from "pg";

const DAY_MS = 24 * 60 * 60 * 1000;
const YEAR_MS = 365 * DAY_MS;
const BATCH = 10_000;

/** The server's parameters (argon2id, 19 MiB, t = 2, p = 1): the hash is computed once. */
const ARGON2ID = 2;
const argonOptions = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

const base64url = (bytes) => bytes.toString("base64url");
export const newSessionToken = () => `hmt_${base64url(randomBytes(32))}`;
export const tokenHash = (token) => createHash("sha256").update(token).digest("base64url");
const newId = (prefix) => `${prefix}_${base64url(randomBytes(15))}`;

/**
 * The rows, batch by batch: `users` users, then `sessions` sessions spread over them (session i
 * belongs to user i mod users; one in four is a CLI session). Tokens are kept in the clear for a
 * sample only (every `sessions / sample`-th), so a million sessions cost no memory here.
 */
function* fixtureBatches({ users, sessions, passwordHash, sample }, now) {
  const userIds = [];
  for (let start = 0; start < users; start += BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(users, start + BATCH); index++) {
      const id = newId("usr");
      userIds.push(id);
      const number = String(index).padStart(7, "0");
      rows.push({ id, email: `bench-${number}@bench.example.com`, name: `Bench user ${number}`, passwordHash });
    }
    yield { table: "users", rows };
  }
  const every = Math.max(1, Math.floor(sessions / sample));
  for (let start = 0; start < sessions; start += BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(sessions, start + BATCH); index++) {
      const token = newSessionToken();
      const cli = index % 4 === 0;
      rows.push({
        id: newId("ses"),
        tokenHash: tokenHash(token),
        userId: userIds[index % users],
        kind: cli ? "cli" : "web",
        name: cli ? "harmont CLI on bench" : "Web session",
        idleMs: (cli ? 30 : 7) * DAY_MS,
        token: index % every === 0 ? token : null,
      });
    }
    yield { table: "sessions", rows, now };
  }
}

/**
 * Opens the database the server created (its migrations have run) and inserts the fixtures.
 * `target` is `{ kind: "sqlite", path }` or `{ kind: "postgres", url }`. Returns the sampled
 * sessions (token in the clear, session and user id), the counts read back, `markUsedNow`
 * and `close`.
 */
export async function insertFixtures(target, { users, sessions, password, sample = 1000 }) {
  const passwordHash = await hash(password, argonOptions);
  const now = Date.now();
  const spec = { users, sessions, passwordHash, sample };
  return target.kind === "sqlite" ? insertIntoSqlite(target.path, spec, now) : insertIntoPostgres(target.url, spec, now);
}

function pickSamples(batch, samples) {
  if (batch.table !== "sessions") return;
  for (const row of batch.rows) if (row.token) samples.push({ token: row.token, sessionId: row.id, userId: row.userId });
}

function insertIntoSqlite(path, spec, now) {
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
  const samples = [];
  db.transaction(() => {
    for (const batch of fixtureBatches(spec, now)) {
      if (batch.table === "users") for (const row of batch.rows) insertUser.run(row.id, row.email, row.name, row.passwordHash, now, now, now);
      else for (const row of batch.rows) insertSession.run(row.id, row.tokenHash, row.userId, row.kind, row.name, now, now, row.idleMs, now + 10 * YEAR_MS);
      pickSamples(batch, samples);
    }
  })();
  const counted = {
    users: db.prepare("select count(*) from users").pluck().get(),
    sessions: db.prepare("select count(*) from sessions").pluck().get(),
  };
  return {
    samples,
    counted,
    markUsedNow: async (sessionId) => void db.prepare("update sessions set last_used_at = ? where id = ?").run(Date.now(), sessionId),
    close: async () => db.close(),
  };
}

async function insertIntoPostgres(url, spec, now) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const samples = [];
  try {
    await client.query("begin");
    for (const batch of fixtureBatches(spec, now)) {
      const column = (name) => batch.rows.map((row) => row[name]);
      if (batch.table === "users") {
        await client.query(
          `insert into users (id, email, name, password_hash, email_verified_at, disabled_at, created_at, updated_at)
           select id, email, name, $4, $5, null, $5, $5 from unnest($1::text[], $2::text[], $3::text[]) as t(id, email, name)`,
          [column("id"), column("email"), column("name"), spec.passwordHash, now],
        );
      } else {
        await client.query(
          `insert into sessions (id, token_hash, user_id, kind, name, parent_session_id, org_id, impersonator_user_id,
             second_factor_pending, ip, user_agent, created_at, last_used_at, idle_timeout_ms, absolute_expires_at)
           select id, token_hash, user_id, kind, name, null, null, null, 0, '127.0.0.1', 'harmont-bench', $7, $7, idle, $8
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) as t(id, token_hash, user_id, kind, name, idle)`,
          [column("id"), column("tokenHash"), column("userId"), column("kind"), column("name"), column("idleMs"), now, now + 10 * YEAR_MS],
        );
      }
      pickSamples(batch, samples);
    }
    await client.query("commit");
    // Vacuumed and with fresh statistics, as a database that grew to this size over time would
    // be; otherwise autovacuum wakes up for the million new rows and competes with the server
    // for the machine's CPUs while a target is measured. Then a checkpoint, so the pages the
    // load and the vacuum dirtied are written now and not by the checkpointer during a target.
    await client.query("vacuum (analyze) users");
    await client.query("vacuum (analyze) sessions");
    await client.query("checkpoint");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    await client.end();
    throw error;
  }
  const count = async (table) => Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n);
  const counted = { users: await count("users"), sessions: await count("sessions") };
  return {
    samples,
    counted,
    markUsedNow: async (sessionId) => void (await client.query("update sessions set last_used_at = $1 where id = $2", [Date.now(), sessionId])),
    close: () => client.end(),
  };
}

/** A database of its own on the machine's PostgreSQL, for one server (or two): created now, dropped by `drop`. */
export async function createPostgresDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const again = new pg.Client({ connectionString: adminUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}
