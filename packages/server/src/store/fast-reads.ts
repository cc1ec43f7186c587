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

/** The session check's SQL; `placeholder` is `?` on SQLite and `$1` on PostgreSQL. */
export function sessionWithUserSql(placeholder: string): string {
  const columns = sessionWithUserSelect.map(([expression, field]) => `${expression} as ${field}`).join(", ");
  return `select ${columns} from sessions s join users u on u.id = s.user_id left join memberships m on m.org_id = s.org_id and m.user_id = s.user_id where s.token_hash = ${placeholder}`;
}

/** Whether a live grant exists for a kind and secret hash (placeholders as above). */
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

/** Prepared statements on SQLite's read-only connection (WAL lets it read while the writer writes). */
export function prepareSqliteFastReads(reader: SqliteDatabase.Database): FastReads {
  const sessionStatement = reader.prepare<[string], unknown[]>(sessionWithUserSql("?")).raw(true);
  const grantStatement = reader.prepare<[GrantKind, string, number], unknown>(liveGrantSql("?", "?", "?"));
  return {
    sessionWithUser: async (tokenHash) => {
      const values = sessionStatement.get(tokenHash);
      return values ? sessionWithUserFromValues(values) : null;
    },
    liveGrant: async (kind, hash, now) => grantStatement.get(kind, hash, now) !== undefined,
  };
}

/**
 * Named statements on PostgreSQL: parsed and planned once per connection. The session checks
 * that arrive in one turn of the event loop go to the database as one query (`= any($1)`), so a
 * busy server makes one round trip, and the database one index scan, for many requests instead
 * of one each. Every check still reads after its request arrived: nothing is kept between turns.
 */
export function preparePostgresFastReads(pool: pg.Pool): FastReads {
  const grantText = liveGrantSql("$1", "$2", "$3");
  return {
    sessionWithUser: batchedSessionReads(pool),
    liveGrant: async (kind, hash, now) =>
      ((await pool.query({ name: "harmont_live_grant", text: grantText, values: [kind, hash, now] })).rowCount ?? 0) > 0,
  };
}

/** The batched session check's SQL: the select list of `sessionWithUserSql`, then the token hash that matched. */
export function sessionsWithUsersSql(): string {
  const columns = sessionWithUserSelect.map(([expression, field]) => `${expression} as ${field}`).join(", ");
  return `select ${columns}, s.token_hash from sessions s join users u on u.id = s.user_id left join memberships m on m.org_id = s.org_id and m.user_id = s.user_id where s.token_hash = any($1::text[])`;
}

interface PendingRead {
  tokenHash: string;
  resolve: (found: Awaited<ReturnType<SessionLookup>>) => void;
  reject: (error: unknown) => void;
}

/** At most this many token hashes in one query; a longer queue is split. */
const MAX_BATCH = 100;

function batchedSessionReads(pool: pg.Pool): SessionLookup {
  const text = sessionsWithUsersSql();
  const hashPosition = sessionWithUserSelect.length;
  let queue: PendingRead[] = [];

  const run = async (batch: PendingRead[]) => {
    try {
      const distinct = [...new Set(batch.map((read) => read.tokenHash))];
      const result = await pool.query<unknown[]>({ name: "harmont_sessions_by_token_hashes", text, values: [distinct], rowMode: "array" });
      const rows = new Map(result.rows.map((values) => [values[hashPosition] as string, values]));
      // Each caller gets objects of its own: the session check updates the session it was handed.
      for (const read of batch) {
        const values = rows.get(read.tokenHash);
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
      // The first check of a turn schedules the query after the turn's other requests are parsed.
      if (queue.length === 0) setImmediate(flush);
      queue.push({ tokenHash, resolve, reject });
    });
}
