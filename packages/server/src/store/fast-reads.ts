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

/** Named statements on PostgreSQL: parsed and planned once per connection. */
export function preparePostgresFastReads(pool: pg.Pool): FastReads {
  const sessionText = sessionWithUserSql("$1");
  const grantText = liveGrantSql("$1", "$2", "$3");
  return {
    sessionWithUser: async (tokenHash) => {
      const result = await pool.query<unknown[]>({ name: "harmont_session_by_token_hash", text: sessionText, values: [tokenHash], rowMode: "array" });
      const values = result.rows[0];
      return values ? sessionWithUserFromValues(values) : null;
    },
    liveGrant: async (kind, hash, now) =>
      ((await pool.query({ name: "harmont_live_grant", text: grantText, values: [kind, hash, now] })).rowCount ?? 0) > 0,
  };
}
