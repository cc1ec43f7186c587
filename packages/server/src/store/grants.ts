/**
 * The `grants` table: every single-use grant, of every kind. Each write is one conditional
 * statement; the consume is `DELETE … RETURNING`, so exactly one of any number of concurrent
 * callers gets the row, on SQLite and PostgreSQL, across processes.
 */
import type { Grant, GrantKind, GrantState, GrantStore } from "../auth/grants.js";
import type { GrantsTable } from "./schema.js";
import { affected, isForeignKeyViolation, type Connection } from "./shared.js";

export function toGrant(row: GrantsTable): Grant {
  return {
    kind: row.kind as GrantKind,
    secretHash: row.secret_hash,
    state: row.state as GrantState,
    userId: row.user_id,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function fromGrant(grant: Grant): GrantsTable {
  return {
    kind: grant.kind,
    secret_hash: grant.secretHash,
    state: grant.state,
    user_id: grant.userId,
    session_id: grant.sessionId,
    created_at: grant.createdAt,
    expires_at: grant.expiresAt,
  };
}

export type LiveGrantCheck = GrantStore["isLive"];

/** The grant store; `fastIsLive` is the prepared read a polling client hits (outside transactions). */
export function createGrantStore(db: Connection, fastIsLive?: LiveGrantCheck): GrantStore {
  return {
    async insertIfAbsent(grant, now) {
      // An expired grant answers like an absent one, so clear it first; the insert itself is the
      // conditional write (first writer wins on the primary key).
      await db
        .deleteFrom("grants")
        .where("kind", "=", grant.kind)
        .where("secret_hash", "=", grant.secretHash)
        .where("expires_at", "<=", now)
        .execute();
      try {
        const result = await db
          .insertInto("grants")
          .values(fromGrant(grant))
          .onConflict((conflict) => conflict.columns(["kind", "secret_hash"]).doNothing())
          .executeTakeFirst();
        return affected(result) === 1 ? "inserted" : "taken";
      } catch (error) {
        // The owning session was deleted after the caller was authenticated: store nothing.
        if (isForeignKeyViolation(error)) return "owner_gone";
        throw error;
      }
    },
    async findLive(kind, secretHash, now) {
      const row = await db
        .selectFrom("grants")
        .selectAll()
        .where("kind", "=", kind)
        .where("secret_hash", "=", secretHash)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return row ? toGrant(row) : null;
    },
    isLive:
      fastIsLive ??
      (async (kind, secretHash, now) =>
        (await db
          .selectFrom("grants")
          .select("secret_hash")
          .where("kind", "=", kind)
          .where("secret_hash", "=", secretHash)
          .where("expires_at", ">", now)
          .executeTakeFirst()) !== undefined),
    async changeState(kind, secretHash, change, now) {
      let query = db
        .updateTable("grants")
        .set({ state: change.to, expires_at: change.expiresAt })
        .where("kind", "=", kind)
        .where("secret_hash", "=", secretHash)
        .where("state", "=", change.from)
        .where("expires_at", ">", now);
      if (change.userId !== undefined) query = query.where("user_id", "=", change.userId);
      return affected(await query.executeTakeFirst()) === 1;
    },
    async consume(kind, secretHash, now) {
      const row = await db
        .deleteFrom("grants")
        .where("kind", "=", kind)
        .where("secret_hash", "=", secretHash)
        .where("expires_at", ">", now)
        .returningAll()
        .executeTakeFirst();
      return row ? toGrant(row) : null;
    },
    async deleteByUser(userId, state) {
      const result = await db.deleteFrom("grants").where("user_id", "=", userId).where("state", "=", state).executeTakeFirst();
      return affected(result);
    },
    async deleteExpired(now) {
      const result = await db.deleteFrom("grants").where("expires_at", "<=", now).executeTakeFirst();
      return affected(result);
    },
  };
}
