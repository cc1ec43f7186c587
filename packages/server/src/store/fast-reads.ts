/**
 * The hot-path reads, prepared once per database: the session check (every API call of every
 * user) and the live-grant check (every poll of a waiting CLI). Both skip the query builder and
 * read rows as arrays of values, which both drivers hand out far more cheaply than objects.
 */
import type SqliteDatabase from "better-sqlite3";
import type pg from "pg";
import type { GrantKind } from "../auth/grants.js";
import type { LiveGrantCheck } from "./grants.js";
import { sessionWithUserSelect, toSessionWithUser, type SessionLookup, type SessionWithUserRow } from "./sessions.js";

export interface FastReads {
  sessionWithUser: SessionLookup;
  liveGrant: LiveGrantCheck;
}

/** Whether a live grant exists for a kind and secret hash (placeholders `?` on SQLite, `$1`… on PostgreSQL). */
export function liveGrantSql(kind: string, hash: string, now: string): string {
  return `select 1 from grants where kind = ${kind} and secret_hash = ${hash} and expires_at > ${now}`;
}

/** Where each field of the session check's row is in its array of values (select order). */
const position = Object.fromEntries(sessionWithUserSelect.map(([, field], index) => [field, index])) as Record<keyof SessionWithUserRow, number>;

/**
 * A session-check row read as an array of values in select order. The row is one object literal
 * of a fixed shape (positions looked up once, above): filling an empty object field by field in
 * a loop costs about ten times as much on every request.
 */
export function sessionWithUserFromValues(values: readonly unknown[]): ReturnType<typeof toSessionWithUser> {
  const v = values as ReadonlyArray<never>;
  return toSessionWithUser({
    id: v[position.id]!,
    user_id: v[position.user_id]!,
    kind: v[position.kind]!,
    name: v[position.name]!,
    parent_session_id: v[position.parent_session_id]!,
    client_id: v[position.client_id]!,
    org_id: v[position.org_id]!,
    impersonator_user_id: v[position.impersonator_user_id]!,
    second_factor_pending: v[position.second_factor_pending]!,
    authenticated_at: v[position.authenticated_at]!,
    mfa_verified_at: v[position.mfa_verified_at]!,
    ip: v[position.ip]!,
    last_ip: v[position.last_ip]!,
    user_agent: v[position.user_agent]!,
    created_at: v[position.created_at]!,
    last_used_at: v[position.last_used_at]!,
    idle_timeout_ms: v[position.idle_timeout_ms]!,
    absolute_expires_at: v[position.absolute_expires_at]!,
    user_email: v[position.user_email]!,
    user_name: v[position.user_name]!,
    user_email_verified_at: v[position.user_email_verified_at]!,
    user_disabled_at: v[position.user_disabled_at]!,
    user_created_at: v[position.user_created_at]!,
    org_role: v[position.org_role]!,
  });
}

/**
 * Prepared statements on SQLite's read-only connection (WAL lets it read while the writer
 * writes). The session checks of one turn are read by one statement, as on PostgreSQL: each
 * read takes and drops a WAL read lock (two system calls), which costs more than the lookup.
 */
export function prepareSqliteFastReads(reader: SqliteDatabase.Database): FastReads {
  const oneStatement = reader.prepare<[string], unknown[]>(sessionsWithUsersSql("one")).raw(true);
  const manyStatement = reader.prepare<[string], unknown[]>(sessionsWithUsersSql("sqlite")).raw(true);
  const grantStatement = reader.prepare<[GrantKind, string, number], unknown>(liveGrantSql("?", "?", "?"));
  return {
    sessionWithUser: readSessionsPerTurn((hashes) => {
      if (hashes.length === 1) {
        const values = oneStatement.get(hashes[0]!);
        return values ? [values] : [];
      }
      return manyStatement.all(JSON.stringify(hashes));
    }),
    liveGrant: async (kind, hash, now) => grantStatement.get(kind, hash, now) !== undefined,
  };
}

/** Named statements on PostgreSQL: parsed and planned once per connection; the session checks of a turn in one query. */
export function preparePostgresFastReads(pool: pg.Pool): FastReads {
  const sessionsText = sessionsWithUsersSql("postgres");
  const grantText = liveGrantSql("$1", "$2", "$3");
  return {
    sessionWithUser: readSessionsPerTurn(
      async (hashes) => (await pool.query<unknown[]>({ name: "harmont_sessions_by_token_hashes", text: sessionsText, values: [hashes], rowMode: "array" })).rows,
    ),
    liveGrant: async (kind, hash, now) =>
      ((await pool.query({ name: "harmont_live_grant", text: grantText, values: [kind, hash, now] })).rowCount ?? 0) > 0,
  };
}

/**
 * The session check's SQL: the session, its user and the user's role in the session's org, then
 * the token hash that matched, for one hash (`one`), a JSON array of them (`sqlite`) or an array parameter (`postgres`).
 */
function sessionsWithUsersSql(form: "one" | "sqlite" | "postgres"): string {
  const columns = sessionWithUserSelect.map(([expression, field]) => `${expression} as ${field}`).join(", ");
  const condition = { one: "= ?", sqlite: "in (select value from json_each(?))", postgres: "= any($1::text[])" }[form];
  return `select ${columns}, s.token_hash from sessions s join users u on u.id = s.user_id left join memberships m on m.org_id = s.org_id and m.user_id = s.user_id where s.token_hash ${condition}`;
}

interface PendingRead {
  tokenHash: string;
  resolve: (found: Awaited<ReturnType<SessionLookup>>) => void;
  reject: (error: unknown) => void;
}

/** At most this many token hashes in one query; a longer queue is split. */
const MAX_BATCH = 100;

/**
 * The session check, batched per turn of the event loop: the checks that arrive in one turn go
 * to the database together, after the turn's other requests are parsed, so a busy server makes
 * one read (one round trip, one read lock) for many requests instead of one each. Every check
 * still reads after its request arrived; nothing is kept between turns, so a revocation that has
 * finished is seen by every later check.
 */
function readSessionsPerTurn(readMany: (distinctHashes: string[]) => Promise<unknown[][]> | unknown[][]): SessionLookup {
  const hashPosition = sessionWithUserSelect.length;
  let queue: PendingRead[] = [];

  const run = async (batch: PendingRead[]) => {
    try {
      const rows = await readMany([...new Set(batch.map((read) => read.tokenHash))]);
      const byHash = new Map(rows.map((values) => [values[hashPosition] as string, values]));
      // Each caller gets objects of its own: the session check updates the session it was handed.
      for (const read of batch) {
        const values = byHash.get(read.tokenHash);
        read.resolve(values ? sessionWithUserFromValues(values) : null);
      }
    } catch (error) {
      for (const read of batch) read.reject(error);
    }
  };

  const flush = () => {
    const pending = queue;
    queue = [];
    for (let start = 0; start < pending.length; start += MAX_BATCH) void run(pending.slice(start, start + MAX_BATCH));
  };

  return (tokenHash) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ tokenHash, resolve, reject });
    });
}
