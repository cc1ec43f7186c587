/**
 * The AuthStore on Kysely: the same queries run on SQLite and PostgreSQL. Every single-use
 * record is consumed by one conditional `DELETE … RETURNING`, so of any number of concurrent
 * attempts exactly one gets the row.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { AuthStore, Session, User } from "../auth/types.js";
import {
  fromAuditEvent,
  fromHandoff,
  fromPasteCode,
  fromSession,
  fromUser,
  sessionWithUserSelect,
  toAuditEvent,
  toHandoff,
  toPasteCode,
  toSession,
  toSessionWithUser,
  toUser,
  type SessionWithUserRow,
} from "./mappers.js";
import type { Database } from "./schema.js";

export type SessionLookup = (tokenHash: string) => Promise<{ session: Session; user: User } | null>;
export type PendingCheck = (hash: string, now: number) => Promise<boolean>;

/** Reads on the hot paths, prepared once by `openDatabase` for the dialect at hand. */
export interface FastReads {
  sessionWithUser: SessionLookup;
  pendingHandoff: PendingCheck;
  pendingPasteCode: PendingCheck;
}

const sessionColumns = [
  "id",
  "user_id",
  "kind",
  "name",
  "parent_session_id",
  "org_id",
  "impersonator_user_id",
  "second_factor_pending",
  "ip",
  "user_agent",
  "created_at",
  "last_used_at",
  "idle_timeout_ms",
  "absolute_expires_at",
] as const;

function affected(result: { numDeletedRows?: bigint; numUpdatedRows?: bigint; numInsertedOrUpdatedRows?: bigint | undefined }): number {
  return Number(result.numDeletedRows ?? result.numUpdatedRows ?? result.numInsertedOrUpdatedRows ?? 0n);
}

export function createKyselyStore(db: Kysely<Database> | Transaction<Database>, fastReads?: FastReads): AuthStore {
  const lookupWithBuilder: SessionLookup = async (tokenHash) => {
    // The same select list as the prepared fast read, so the two cannot drift apart.
    const row = await db
      .selectFrom("sessions as s")
      .innerJoin("users as u", "u.id", "s.user_id")
      .select(sessionWithUserSelect.map(([expression, field]) => sql.ref(expression).as(field)))
      .where("s.token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? toSessionWithUser(row as SessionWithUserRow) : null;
  };

  const store: AuthStore = {
    users: {
      async insert(user) {
        const result = await db
          .insertInto("users")
          .values(fromUser(user))
          .onConflict((conflict) => conflict.column("email").doNothing())
          .executeTakeFirst();
        return affected(result) === 1;
      },
      async findByEmail(email) {
        const row = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
        return row ? toUser(row) : null;
      },
      async findById(id) {
        const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
        return row ? toUser(row) : null;
      },
      async markEmailVerified(userId, now, clearPassword) {
        await db
          .updateTable("users")
          .set(clearPassword ? { email_verified_at: now, password_hash: null, updated_at: now } : { email_verified_at: now, updated_at: now })
          .where("id", "=", userId)
          .execute();
      },
      async setPasswordHash(userId, passwordHash, now) {
        await db.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", userId).execute();
      },
      async setDisabled(userId, disabledAt, now) {
        await db.updateTable("users").set({ disabled_at: disabledAt, updated_at: now }).where("id", "=", userId).execute();
      },
    },

    sessions: {
      async insert(session) {
        await db.insertInto("sessions").values(fromSession(session)).execute();
      },
      findWithUserByTokenHash: fastReads?.sessionWithUser ?? lookupWithBuilder,
      async touch(sessionId, now, notBefore) {
        await db
          .updateTable("sessions")
          .set({ last_used_at: now })
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
      async deleteAllForUser(userId, exceptSessionId) {
        let query = db.deleteFrom("sessions").where("user_id", "=", userId);
        if (exceptSessionId) query = query.where("id", "!=", exceptSessionId);
        const rows = await query.returning("id").execute();
        return rows.map((row) => row.id);
      },
      async deleteExpired(now) {
        // A session is dead past its absolute end, or when idle longer than its idle timeout.
        const result = await db
          .deleteFrom("sessions")
          .where((eb) =>
            eb.or([
              eb("absolute_expires_at", "<=", now),
              eb(eb("last_used_at", "+", eb.ref("idle_timeout_ms")), "<=", now),
            ]),
          )
          .executeTakeFirst();
        return affected(result);
      },
    },

    handoffs: {
      async insertIfAbsent(handoff, now) {
        // An expired record answers like an absent one, so clear it first; the insert itself is
        // the conditional write (first writer wins on the primary key).
        await db.deleteFrom("cli_handoffs").where("nonce_hash", "=", handoff.nonceHash).where("expires_at", "<=", now).execute();
        const result = await db
          .insertInto("cli_handoffs")
          .values(fromHandoff(handoff))
          .onConflict((conflict) => conflict.column("nonce_hash").doNothing())
          .executeTakeFirst();
        return affected(result) === 1;
      },
      async findLive(nonceHash, now) {
        const row = await db
          .selectFrom("cli_handoffs")
          .selectAll()
          .where("nonce_hash", "=", nonceHash)
          .where("expires_at", ">", now)
          .executeTakeFirst();
        return row ? toHandoff(row) : null;
      },
      isPending:
        fastReads?.pendingHandoff ??
        (async (nonceHash, now) =>
          (await db.selectFrom("cli_handoffs").select("nonce_hash").where("nonce_hash", "=", nonceHash).where("expires_at", ">", now).executeTakeFirst()) !==
          undefined),
      async denyParked(nonceHash, userId, now, expiresAt) {
        const result = await db
          .updateTable("cli_handoffs")
          .set({ state: "denied", expires_at: expiresAt })
          .where("nonce_hash", "=", nonceHash)
          .where("state", "=", "parked")
          .where("user_id", "=", userId)
          .where("expires_at", ">", now)
          .executeTakeFirst();
        return affected(result) === 1;
      },
      async consume(nonceHash, now) {
        const row = await db
          .deleteFrom("cli_handoffs")
          .where("nonce_hash", "=", nonceHash)
          .where("expires_at", ">", now)
          .returningAll()
          .executeTakeFirst();
        return row ? toHandoff(row) : null;
      },
      async deleteParkedBySessions(sessionIds) {
        if (sessionIds.length === 0) return 0;
        const result = await db
          .deleteFrom("cli_handoffs")
          .where("session_id", "in", sessionIds)
          .where("state", "=", "parked")
          .executeTakeFirst();
        return affected(result);
      },
      async deleteParkedByUser(userId) {
        const result = await db.deleteFrom("cli_handoffs").where("user_id", "=", userId).where("state", "=", "parked").executeTakeFirst();
        return affected(result);
      },
      async deleteExpired(now) {
        const result = await db.deleteFrom("cli_handoffs").where("expires_at", "<=", now).executeTakeFirst();
        return affected(result);
      },
    },

    pasteCodes: {
      async insert(code) {
        await db.insertInto("cli_paste_codes").values(fromPasteCode(code)).execute();
      },
      isPending:
        fastReads?.pendingPasteCode ??
        (async (codeHash, now) =>
          (await db.selectFrom("cli_paste_codes").select("code_hash").where("code_hash", "=", codeHash).where("expires_at", ">", now).executeTakeFirst()) !==
          undefined),
      async consume(codeHash, now) {
        const row = await db
          .deleteFrom("cli_paste_codes")
          .where("code_hash", "=", codeHash)
          .where("expires_at", ">", now)
          .returningAll()
          .executeTakeFirst();
        return row ? toPasteCode(row) : null;
      },
      async deleteBySessions(sessionIds) {
        if (sessionIds.length === 0) return 0;
        const result = await db.deleteFrom("cli_paste_codes").where("session_id", "in", sessionIds).executeTakeFirst();
        return affected(result);
      },
      async deleteByUser(userId) {
        const result = await db.deleteFrom("cli_paste_codes").where("user_id", "=", userId).executeTakeFirst();
        return affected(result);
      },
      async deleteExpired(now) {
        const result = await db.deleteFrom("cli_paste_codes").where("expires_at", "<=", now).executeTakeFirst();
        return affected(result);
      },
    },

    emailCodes: {
      async replace(code) {
        const row = {
          email: code.email,
          purpose: code.purpose,
          code_hash: code.codeHash,
          attempts: code.attempts,
          created_at: code.createdAt,
          expires_at: code.expiresAt,
        };
        await db
          .insertInto("email_codes")
          .values(row)
          .onConflict((conflict) =>
            conflict.columns(["email", "purpose"]).doUpdateSet({
              code_hash: row.code_hash,
              attempts: row.attempts,
              created_at: row.created_at,
              expires_at: row.expires_at,
            }),
          )
          .execute();
      },
      async countAttempt(email, purpose, now, maxAttempts) {
        const row = await db
          .updateTable("email_codes")
          .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
          .where("email", "=", email)
          .where("purpose", "=", purpose)
          .where("expires_at", ">", now)
          .where("attempts", "<", maxAttempts)
          .returning("code_hash")
          .executeTakeFirst();
        return row?.code_hash ?? null;
      },
      async consume(email, purpose, codeHash) {
        const row = await db
          .deleteFrom("email_codes")
          .where("email", "=", email)
          .where("purpose", "=", purpose)
          .where("code_hash", "=", codeHash)
          .returning("email")
          .executeTakeFirst();
        return row !== undefined;
      },
      async deleteByEmail(email) {
        const result = await db.deleteFrom("email_codes").where("email", "=", email).executeTakeFirst();
        return affected(result);
      },
      async deleteExpired(now) {
        const result = await db.deleteFrom("email_codes").where("expires_at", "<=", now).executeTakeFirst();
        return affected(result);
      },
    },

    audit: {
      async record(event) {
        await db.insertInto("audit_events").values(fromAuditEvent(event)).execute();
      },
      async list(filter = {}) {
        let query = db.selectFrom("audit_events").selectAll().orderBy("at").orderBy("id");
        if (filter.actorUserId) query = query.where("actor_user_id", "=", filter.actorUserId);
        if (filter.action) query = query.where("action", "=", filter.action);
        const rows = await query.execute();
        return rows.map(toAuditEvent);
      },
    },

    async transaction(work) {
      if (db.isTransaction) return work(store);
      return (db as Kysely<Database>).transaction().execute((trx) => work(createKyselyStore(trx)));
    },
  };
  return store;
}

/** Deletes rate-limit rows whose window has passed (PostgreSQL store only). */
export async function purgeRateLimits(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom("rate_limits").where("expire", "<=", now).executeTakeFirst();
  return affected(result);
}
