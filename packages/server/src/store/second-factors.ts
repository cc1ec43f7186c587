/** The `totp_factors` and `backup_codes` tables. */
import type { BackupCodeRecord, SecondFactorStore, TotpFactor } from "../auth/second-factor.js";
import type { BackupCodesTable, TotpFactorsTable } from "./schema.js";
import { affected, type Connection } from "./shared.js";

function toTotpFactor(row: TotpFactorsTable): TotpFactor {
  return {
    userId: row.user_id,
    secretSealed: row.secret_sealed,
    confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
    enrollmentExpiresAt: row.enrollment_expires_at === null ? null : Number(row.enrollment_expires_at),
    enrollmentAttempts: Number(row.enrollment_attempts),
    lastUsedStep: Number(row.last_used_step),
    createdAt: Number(row.created_at),
  };
}

function toBackupCode(row: BackupCodesTable): BackupCodeRecord {
  return {
    userId: row.user_id,
    codeId: row.code_id,
    secretHash: row.secret_hash,
    usedAt: row.used_at === null ? null : Number(row.used_at),
    createdAt: Number(row.created_at),
  };
}

export function createSecondFactorStore(db: Connection): SecondFactorStore {
  return {
    async findFactor(userId) {
      const row = await db.selectFrom("totp_factors").selectAll().where("user_id", "=", userId).executeTakeFirst();
      return row ? toTotpFactor(row) : null;
    },
    async isEnabled(userId) {
      const row = await db.selectFrom("totp_factors").select("user_id").where("user_id", "=", userId).where("confirmed_at", "is not", null).executeTakeFirst();
      return row !== undefined;
    },
    async upsertPending(factor) {
      const pending = {
        user_id: factor.userId,
        secret_sealed: factor.secretSealed,
        confirmed_at: null,
        enrollment_expires_at: factor.enrollmentExpiresAt,
        enrollment_attempts: 0,
        last_used_step: -1,
        created_at: factor.createdAt,
      };
      // Replaces a pending enrolment; a confirmed factor is left alone (the update's WHERE).
      const result = await db
        .insertInto("totp_factors")
        .values(pending)
        .onConflict((conflict) =>
          conflict
            .column("user_id")
            .doUpdateSet({
              secret_sealed: pending.secret_sealed,
              enrollment_expires_at: pending.enrollment_expires_at,
              enrollment_attempts: 0,
              last_used_step: -1,
              created_at: pending.created_at,
            })
            .where("totp_factors.confirmed_at", "is", null),
        )
        .executeTakeFirst();
      return affected(result) === 1 ? "ok" : "already_enabled";
    },
    async spendEnrollmentAttempt(userId, now, maxAttempts) {
      const row = await db
        .updateTable("totp_factors")
        .set((eb) => ({ enrollment_attempts: eb("enrollment_attempts", "+", 1) }))
        .where("user_id", "=", userId)
        .where("confirmed_at", "is", null)
        .where("enrollment_expires_at", ">", now)
        .where("enrollment_attempts", "<", maxAttempts)
        .returningAll()
        .executeTakeFirst();
      return row ? toTotpFactor(row) : null;
    },
    async confirm(userId, step, now) {
      const result = await db
        .updateTable("totp_factors")
        .set({ confirmed_at: now, enrollment_expires_at: null, last_used_step: step })
        .where("user_id", "=", userId)
        .where("confirmed_at", "is", null)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async useStep(userId, step) {
      const result = await db
        .updateTable("totp_factors")
        .set({ last_used_step: step })
        .where("user_id", "=", userId)
        .where("confirmed_at", "is not", null)
        .where("last_used_step", "<", step)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async resealSecret(userId, secretSealed) {
      await db.updateTable("totp_factors").set({ secret_sealed: secretSealed }).where("user_id", "=", userId).execute();
    },
    async deleteFactor(userId) {
      await db.deleteFrom("backup_codes").where("user_id", "=", userId).execute();
      return affected(await db.deleteFrom("totp_factors").where("user_id", "=", userId).executeTakeFirst()) === 1;
    },
    async replaceBackupCodes(userId, codes) {
      await db.deleteFrom("backup_codes").where("user_id", "=", userId).execute();
      if (codes.length === 0) return;
      await db
        .insertInto("backup_codes")
        .values(codes.map((code) => ({ user_id: userId, code_id: code.codeId, secret_hash: code.secretHash, used_at: code.usedAt, created_at: code.createdAt })))
        .execute();
    },
    async findUnusedBackupCode(userId, codeId) {
      const row = await db
        .selectFrom("backup_codes")
        .selectAll()
        .where("user_id", "=", userId)
        .where("code_id", "=", codeId)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return row ? toBackupCode(row) : null;
    },
    async useBackupCode(userId, codeId, now) {
      const result = await db
        .updateTable("backup_codes")
        .set({ used_at: now })
        .where("user_id", "=", userId)
        .where("code_id", "=", codeId)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async countUnusedBackupCodes(userId) {
      const row = await db
        .selectFrom("backup_codes")
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
        .where("user_id", "=", userId)
        .where("used_at", "is", null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    async deleteExpiredEnrollments(now) {
      return affected(await db.deleteFrom("totp_factors").where("confirmed_at", "is", null).where("enrollment_expires_at", "<=", now).executeTakeFirst());
    },
  };
}
