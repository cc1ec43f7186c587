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

/** A session-check row read as an array of values in select order. */
export function sessionWithUserFromValues(values: readonly unknown[]): ReturnType<typeof toSessionWithUser> {
  const row: Partial<Record<keyof SessionWithUserRow, unknown>> = {};
  for (let index = 0; index < sessionWithUserSelect.length; index++) row[sessionWithUserSelect[index]![1]] = values[index];
  return toSessionWithUser(row as SessionWithUserRow);
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
