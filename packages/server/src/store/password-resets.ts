/** The `password_reset_tokens` table. */
import type { PasswordResetStore } from "../auth/password-reset.js";
import { affected, type Connection } from "./shared.js";

export function createPasswordResetStore(db: Connection): PasswordResetStore {
  return {
    async insert(record) {
      await db
        .insertInto("password_reset_tokens")
        .values({ token_hash: record.tokenHash, user_id: record.userId, attempts: 0, created_at: record.createdAt, expires_at: record.expiresAt })
        .execute();
    },
    async deleteForUser(userId) {
      await db.deleteFrom("password_reset_tokens").where("user_id", "=", userId).execute();
    },
    async findLive(tokenHash, now) {
      const row = await db
        .selectFrom("password_reset_tokens")
        .select(["user_id", "expires_at"])
        .where("token_hash", "=", tokenHash)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return row ? { userId: row.user_id, expiresAt: row.expires_at } : null;
    },
    async spendAttempt(tokenHash, now, maxAttempts) {
      const row = await db
        .updateTable("password_reset_tokens")
        .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("token_hash", "=", tokenHash)
        .where("expires_at", ">", now)
        .where("attempts", "<", maxAttempts)
        .returning("user_id")
        .executeTakeFirst();
      return row?.user_id ?? null;
    },
    async consume(tokenHash, now) {
      const row = await db.deleteFrom("password_reset_tokens").where("token_hash", "=", tokenHash).where("expires_at", ">", now).returning("user_id").executeTakeFirst();
      return row?.user_id ?? null;
    },
    async deleteExpired(now) {
      return affected(await db.deleteFrom("password_reset_tokens").where("expires_at", "<=", now).executeTakeFirst());
    },
  };
}
