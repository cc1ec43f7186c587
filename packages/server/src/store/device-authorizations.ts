/** The `device_authorizations` table (RFC 8628). */
import type { DeviceAuthorization, DeviceAuthorizationState, DeviceAuthorizationStore } from "../auth/device-codes.js";
import type { DeviceAuthorizationsTable } from "./schema.js";
import { affected, isUniqueViolation, type Connection } from "./shared.js";

function toDeviceAuthorization(row: DeviceAuthorizationsTable): DeviceAuthorization {
  return {
    deviceCodeHash: row.device_code_hash,
    userCodeHash: row.user_code_hash,
    clientId: row.client_id,
    sessionName: row.session_name,
    deviceDescription: row.device_description,
    requesterIp: row.requester_ip,
    state: row.state as DeviceAuthorizationState,
    userId: row.user_id,
    approvingSessionId: row.approving_session_id,
    issuedSessionId: row.issued_session_id,
    intervalMs: Number(row.interval_ms),
    lastPolledAt: row.last_polled_at === null ? null : Number(row.last_polled_at),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    answeredAt: row.answered_at === null ? null : Number(row.answered_at),
    consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

export function createDeviceAuthorizationStore(db: Connection): DeviceAuthorizationStore {
  return {
    async insert(authorization) {
      // An expired authorization keeps its row for late polls, but gives its user code up.
      if (authorization.userCodeHash !== null) {
        await db
          .updateTable("device_authorizations")
          .set({ user_code_hash: null })
          .where("user_code_hash", "=", authorization.userCodeHash)
          .where("expires_at", "<=", authorization.createdAt)
          .execute();
      }
      try {
        await db
          .insertInto("device_authorizations")
          .values({
            device_code_hash: authorization.deviceCodeHash,
            user_code_hash: authorization.userCodeHash,
            client_id: authorization.clientId,
            session_name: authorization.sessionName,
            device_description: authorization.deviceDescription,
            requester_ip: authorization.requesterIp,
            state: authorization.state,
            user_id: authorization.userId,
            approving_session_id: authorization.approvingSessionId,
            issued_session_id: authorization.issuedSessionId,
            interval_ms: authorization.intervalMs,
            last_polled_at: authorization.lastPolledAt,
            created_at: authorization.createdAt,
            expires_at: authorization.expiresAt,
            answered_at: authorization.answeredAt,
            consumed_at: authorization.consumedAt,
          })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async findByDeviceCodeHash(deviceCodeHash) {
      const row = await db.selectFrom("device_authorizations").selectAll().where("device_code_hash", "=", deviceCodeHash).executeTakeFirst();
      return row ? toDeviceAuthorization(row) : null;
    },
    async findLiveByUserCodeHash(userCodeHash, now) {
      const row = await db
        .selectFrom("device_authorizations")
        .selectAll()
        .where("user_code_hash", "=", userCodeHash)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return row ? toDeviceAuthorization(row) : null;
    },
    async recordPoll(deviceCodeHash, now, intervalMs) {
      await db
        .updateTable("device_authorizations")
        .set({ last_polled_at: now, interval_ms: intervalMs })
        .where("device_code_hash", "=", deviceCodeHash)
        .where("state", "=", "pending")
        .execute();
    },
    async approve(userCodeHash, userId, sessionId, now) {
      const result = await db
        .updateTable("device_authorizations")
        .set({ state: "approved", user_id: userId, approving_session_id: sessionId, answered_at: now })
        .where("user_code_hash", "=", userCodeHash)
        .where("state", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async deny(userCodeHash, userId, now) {
      const result = await db
        .updateTable("device_authorizations")
        .set({ state: "denied", user_id: userId, answered_at: now })
        .where("user_code_hash", "=", userCodeHash)
        .where("expires_at", ">", now)
        .where((eb) => eb.or([eb("state", "=", "pending"), eb.and([eb("state", "=", "approved"), eb("user_id", "=", userId)])]))
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async consume(deviceCodeHash, clientId, now) {
      const row = await db
        .updateTable("device_authorizations")
        .set({ state: "consumed", consumed_at: now, user_code_hash: null })
        .where("device_code_hash", "=", deviceCodeHash)
        .where("client_id", "=", clientId)
        .where("state", "=", "approved")
        .where("expires_at", ">", now)
        .returningAll()
        .executeTakeFirst();
      return row ? toDeviceAuthorization(row) : null;
    },
    async finish(deviceCodeHash, outcome) {
      await db
        .updateTable("device_authorizations")
        .set("denied" in outcome ? { state: "denied" } : { issued_session_id: outcome.issuedSessionId })
        .where("device_code_hash", "=", deviceCodeHash)
        .execute();
    },
    async deleteExpired(before) {
      return affected(await db.deleteFrom("device_authorizations").where("expires_at", "<=", before).executeTakeFirst());
    },
  };
}
