/** The `impersonations` table: one row per support session, kept after it ends. */
import type { Impersonation, ImpersonationEndReason, ImpersonationStore } from "../auth/impersonation.js";
import type { ImpersonationsTable } from "./schema.js";
import type { Connection } from "./shared.js";

function toImpersonation(row: ImpersonationsTable): Impersonation {
  return {
    sessionId: row.session_id,
    impersonatorUserId: row.impersonator_user_id,
    targetUserId: row.target_user_id,
    reason: row.reason,
    startedAt: Number(row.started_at),
    expiresAt: Number(row.expires_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    endReason: row.end_reason as ImpersonationEndReason | null,
  };
}

export function createImpersonationStore(db: Connection): ImpersonationStore {
  return {
    async insert(impersonation) {
      await db
        .insertInto("impersonations")
        .values({
          session_id: impersonation.sessionId,
          impersonator_user_id: impersonation.impersonatorUserId,
          target_user_id: impersonation.targetUserId,
          reason: impersonation.reason,
          started_at: impersonation.startedAt,
          expires_at: impersonation.expiresAt,
          ended_at: impersonation.endedAt,
          end_reason: impersonation.endReason,
        })
        .execute();
    },
    async findBySession(sessionId) {
      const row = await db
        .selectFrom("impersonations as i")
        .innerJoin("users as u", "u.id", "i.impersonator_user_id")
        .selectAll("i")
        .select(["u.email as impersonator_email", "u.name as impersonator_name"])
        .where("i.session_id", "=", sessionId)
        .executeTakeFirst();
      if (!row) return null;
      return { ...toImpersonation(row), impersonator: { id: row.impersonator_user_id, email: row.impersonator_email, name: row.impersonator_name } };
    },
    async end(sessionIds, reason, now) {
      if (sessionIds.length === 0) return [];
      const rows = await db
        .updateTable("impersonations")
        .set({ ended_at: now, end_reason: reason })
        .where("session_id", "in", sessionIds)
        .where("ended_at", "is", null)
        .returningAll()
        .execute();
      return rows.map(toImpersonation);
    },
    async closeExpired(now) {
      const rows = await db
        .updateTable("impersonations")
        .set({ ended_at: now, end_reason: "expired" })
        .where("expires_at", "<=", now)
        .where("ended_at", "is", null)
        .returningAll()
        .execute();
      return rows.map(toImpersonation);
    },
    async list(filter, limit) {
      let query = db.selectFrom("impersonations").selectAll().orderBy("started_at", "desc").limit(limit);
      if (filter.userId) {
        const userId = filter.userId;
        query = query.where((eb) => eb.or([eb("impersonator_user_id", "=", userId), eb("target_user_id", "=", userId)]));
      }
      return (await query.execute()).map(toImpersonation);
    },
  };
}
