/** The `email_codes` table: one live code per address and purpose. */
import type { EmailCodeStore } from "../auth/email-codes.js";
import { affected, type Connection } from "./shared.js";

export function createEmailCodeStore(db: Connection): EmailCodeStore {
  return {
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
    async deleteExpired(now) {
      const result = await db.deleteFrom("email_codes").where("expires_at", "<=", now).executeTakeFirst();
      return affected(result);
    },
  };
}
