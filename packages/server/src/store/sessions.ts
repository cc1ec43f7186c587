/** The `sessions` table (the session check's prepared read lives in `fast-reads.ts`). */
import { sql } from "kysely";
import type { Session, SessionKind, SessionStore } from "../auth/sessions.js";
import type { OrgRole } from "../auth/orgs.js";
import type { User } from "../auth/users.js";
import type { SessionsTable } from "./schema.js";
import { affected, type Connection } from "./shared.js";

export const sessionColumns = [
  "id",
  "user_id",
  "kind",
  "name",
  "parent_session_id",
  "client_id",
  "org_id",
  "impersonator_user_id",
  "second_factor_pending",
  "authenticated_at",
  "mfa_verified_at",
  "ip",
  "last_ip",
  "user_agent",
  "created_at",
  "last_used_at",
  "idle_timeout_ms",
  "absolute_expires_at",
] as const;

export function toSession(row: Omit<SessionsTable, "token_hash">): Session {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind as SessionKind,
    name: row.name,
    parentSessionId: row.parent_session_id,
    clientId: row.client_id,
    orgId: row.org_id,
    impersonatorUserId: row.impersonator_user_id,
    secondFactorPending: Number(row.second_factor_pending) === 1,
    authenticatedAt: row.authenticated_at,
    mfaVerifiedAt: row.mfa_verified_at,
    ip: row.ip,
    lastIp: row.last_ip,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    idleTimeoutMs: row.idle_timeout_ms,
    absoluteExpiresAt: row.absolute_expires_at,
  };
}

export function fromSession(session: Session & { tokenHash: string }): SessionsTable {
  return {
    id: session.id,
    token_hash: session.tokenHash,
    user_id: session.userId,
    kind: session.kind,
    name: session.name,
    parent_session_id: session.parentSessionId,
    client_id: session.clientId,
    org_id: session.orgId,
    impersonator_user_id: session.impersonatorUserId,
    second_factor_pending: session.secondFactorPending ? 1 : 0,
    authenticated_at: session.authenticatedAt,
    mfa_verified_at: session.mfaVerifiedAt,
    ip: session.ip,
    last_ip: session.lastIp,
    user_agent: session.userAgent,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    idle_timeout_ms: session.idleTimeoutMs,
    absolute_expires_at: session.absoluteExpiresAt,
  };
}

/** The columns of the session check: the session (without its hash) and its user. */
export interface SessionWithUserRow extends Omit<SessionsTable, "token_hash"> {
  user_email: string;
  user_name: string | null;
  user_email_verified_at: number | null;
  user_disabled_at: number | null;
  user_created_at: number;
  /** The role of the session's user in the session's org; `null` without an org, or when the membership is gone. */
  org_role: string | null;
}

/** The session check's select list, in order: the SQL expression and the row field it fills. */
export const sessionWithUserSelect = [
  ...sessionColumns.map((column) => [`s.${column}`, column] as const),
  ["u.email", "user_email"],
  ["u.name", "user_name"],
  ["u.email_verified_at", "user_email_verified_at"],
  ["u.disabled_at", "user_disabled_at"],
  ["u.created_at", "user_created_at"],
  ["m.role", "org_role"],
] as const satisfies ReadonlyArray<readonly [string, keyof SessionWithUserRow]>;

export function toSessionWithUser(row: SessionWithUserRow): { session: Session; user: User; orgRole: OrgRole | null } {
  const session = toSession(row);
  // An org whose membership is gone is no org: the session check never trusts `org_id` alone.
  if (row.org_role === null) session.orgId = null;
  return {
    orgRole: row.org_role as OrgRole | null,
    session,
    user: {
      id: row.user_id,
      email: row.user_email,
      name: row.user_name,
      emailVerifiedAt: row.user_email_verified_at,
      disabledAt: row.user_disabled_at,
      createdAt: row.user_created_at,
    },
  };
}

export type SessionLookup = SessionStore["findWithUserByTokenHash"];

/**
 * The session store. `fastLookup` is the prepared session check (outside transactions); the
 * query builder's version reads the same select list, so the two cannot drift apart.
 */
export function createSessionStore(db: Connection, fastLookup?: SessionLookup): SessionStore {
  const lookupWithBuilder: SessionLookup = async (tokenHash) => {
    const row = await db
      .selectFrom("sessions as s")
      .innerJoin("users as u", "u.id", "s.user_id")
      .leftJoin("memberships as m", (join) => join.onRef("m.org_id", "=", "s.org_id").onRef("m.user_id", "=", "s.user_id"))
      .select(sessionWithUserSelect.map(([expression, field]) => sql.ref(expression).as(field)))
      .where("s.token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? toSessionWithUser(row as SessionWithUserRow) : null;
  };

  return {
    async insert(session) {
      await db.insertInto("sessions").values(fromSession(session)).execute();
    },
    findWithUserByTokenHash: fastLookup ?? lookupWithBuilder,
    async touch(sessionId, now, notBefore, ip) {
      await db
        .updateTable("sessions")
        .set({ last_used_at: now, last_ip: ip })
        .where("id", "=", sessionId)
        .where("last_used_at", "<", notBefore)
        .execute();
    },
    async findById(sessionId) {
      const row = await db.selectFrom("sessions").select(sessionColumns).where("id", "=", sessionId).executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async listByUser(userId) {
      const rows = await db
        .selectFrom("sessions")
        .select(sessionColumns)
        .where("user_id", "=", userId)
        .orderBy("created_at", "desc")
        .orderBy("id")
        .execute();
      return rows.map(toSession);
    },
    async deleteByTokenHash(tokenHash) {
      const row = await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).returning(sessionColumns).executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async deleteById(sessionId) {
      const row = await db.deleteFrom("sessions").where("id", "=", sessionId).returning(sessionColumns).executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async deleteAllForUser(userId, options = {}) {
      let query = db.deleteFrom("sessions").where("user_id", "=", userId);
      if (options.exceptSessionId) query = query.where("id", "!=", options.exceptSessionId);
      if (options.keepApiTokens) query = query.where("kind", "!=", "api");
      const rows = await query.returning("id").execute();
      return rows.map((row) => row.id);
    },
    async deleteWebChildren(parentIds) {
      if (parentIds.length === 0) return [];
      const rows = await db.deleteFrom("sessions").where("parent_session_id", "in", parentIds).where("kind", "=", "web").returning(sessionColumns).execute();
      return rows.map(toSession);
    },
    async markSecondFactorVerified(sessionId, now) {
      await db.updateTable("sessions").set({ mfa_verified_at: now }).where("id", "=", sessionId).execute();
    },
    async deleteExpired(now) {
      // A session is dead past its absolute end, or when idle longer than its idle timeout.
      const result = await db
        .deleteFrom("sessions")
        .where((eb) => eb.or([eb("absolute_expires_at", "<=", now), eb(eb("last_used_at", "+", eb.ref("idle_timeout_ms")), "<=", now)]))
        .executeTakeFirst();
      return affected(result);
    },
  };
}
