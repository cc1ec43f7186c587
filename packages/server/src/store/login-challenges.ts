/** The `login_challenges` table. */
import type { LoginChallenge, LoginChallengeState, LoginChallengeStore } from "../auth/login-challenges.js";
import type { FirstFactor } from "../auth/sign-in.js";
import type { LoginChallengesTable } from "./schema.js";
import { affected, type Connection } from "./shared.js";

const columns = [
  "id",
  "user_id",
  "first_factor",
  "attempts",
  "state",
  "approval_number",
  "approval_requested_at",
  "decided_by_session_id",
  "decided_at",
  "ip",
  "user_agent",
  "created_at",
  "expires_at",
] as const;

function toLoginChallenge(row: Omit<LoginChallengesTable, "token_hash">): LoginChallenge {
  return {
    id: row.id,
    userId: row.user_id,
    firstFactor: row.first_factor as FirstFactor,
    attempts: Number(row.attempts),
    state: row.state as LoginChallengeState,
    approvalNumber: row.approval_number,
    approvalRequestedAt: row.approval_requested_at,
    decidedBySessionId: row.decided_by_session_id,
    decidedAt: row.decided_at,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function createLoginChallengeStore(db: Connection): LoginChallengeStore {
  return {
    async insert(challenge) {
      await db
        .insertInto("login_challenges")
        .values({
          id: challenge.id,
          token_hash: challenge.tokenHash,
          user_id: challenge.userId,
          first_factor: challenge.firstFactor,
          attempts: challenge.attempts,
          state: challenge.state,
          approval_number: challenge.approvalNumber,
          approval_requested_at: challenge.approvalRequestedAt,
          decided_by_session_id: challenge.decidedBySessionId,
          decided_at: challenge.decidedAt,
          ip: challenge.ip,
          user_agent: challenge.userAgent,
          created_at: challenge.createdAt,
          expires_at: challenge.expiresAt,
        })
        .execute();
    },
    async spendAttempt(tokenHash, now, maxAttempts) {
      const row = await db
        .updateTable("login_challenges")
        .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("token_hash", "=", tokenHash)
        .where("state", "in", ["pending", "awaiting_approval"])
        .where("expires_at", ">", now)
        .where("attempts", "<", maxAttempts)
        .returning(columns)
        .executeTakeFirst();
      return row ? toLoginChallenge(row) : null;
    },
    async findLiveByTokenHash(tokenHash, now) {
      const row = await db.selectFrom("login_challenges").select(columns).where("token_hash", "=", tokenHash).where("expires_at", ">", now).executeTakeFirst();
      return row ? toLoginChallenge(row) : null;
    },
    async consume(tokenHash, states, now) {
      const row = await db
        .deleteFrom("login_challenges")
        .where("token_hash", "=", tokenHash)
        .where("state", "in", [...states])
        .where("expires_at", ">", now)
        .returning(columns)
        .executeTakeFirst();
      return row ? toLoginChallenge(row) : null;
    },
    async requestApproval(tokenHash, approvalNumber, now) {
      const result = await db
        .updateTable("login_challenges")
        .set({ state: "awaiting_approval", approval_number: approvalNumber, approval_requested_at: now })
        .where("token_hash", "=", tokenHash)
        .where("state", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async decide(id, userId, to, bySessionId, now) {
      const result = await db
        .updateTable("login_challenges")
        .set({ state: to, decided_by_session_id: bySessionId, decided_at: now })
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .where("state", "=", "awaiting_approval")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async findLiveById(id, now) {
      const row = await db.selectFrom("login_challenges").select(columns).where("id", "=", id).where("expires_at", ">", now).executeTakeFirst();
      return row ? toLoginChallenge(row) : null;
    },
    async listAwaiting(userId, now) {
      const rows = await db
        .selectFrom("login_challenges")
        .select(columns)
        .where("user_id", "=", userId)
        .where("state", "=", "awaiting_approval")
        .where("expires_at", ">", now)
        .orderBy("approval_requested_at", "desc")
        .limit(20)
        .execute();
      return rows.map(toLoginChallenge);
    },
    async deleteForUser(userId) {
      return affected(await db.deleteFrom("login_challenges").where("user_id", "=", userId).executeTakeFirst());
    },
    async deleteExpired(now) {
      return affected(await db.deleteFrom("login_challenges").where("expires_at", "<=", now).executeTakeFirst());
    },
  };
}
