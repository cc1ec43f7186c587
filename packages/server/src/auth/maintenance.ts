/**
 * Periodic clean-up: accounts whose deletion fell due, and expired sessions, grants, email codes,
 * invitations, reset links, login challenges and unconfirmed two-step enrolments, are deleted.
 */
import { recordAuditEvent } from "./audit.js";
import { DEVICE_AUTHORIZATION_RETENTION_MS } from "./device-codes.js";
import type { AuthStore, Clock } from "./types.js";

export async function purgeExpiredRecords(
  deps: { store: AuthStore; clock: Clock },
): Promise<{ accounts: number; sessions: number; grants: number; emailCodes: number; invitations: number; passwordResets: number; loginChallenges: number; totpEnrollments: number; deviceAuthorizations: number; supportSessionsEnded: number }> {
  const now = deps.clock.now();
  // Support sessions whose time is up: the session check refuses them already; this records it.
  const ended = await deps.store.impersonations.closeExpired(now);
  for (const impersonation of ended) {
    await recordAuditEvent(deps, { ip: null, userAgent: null, requestId: null, actor: null }, {
      action: "admin.impersonation.ended",
      actorUserId: null,
      target: impersonation.targetUserId,
      detail: { session_id: impersonation.sessionId, end_reason: "expired", operator_user_id: impersonation.impersonatorUserId },
    });
  }
  return {
    supportSessionsEnded: ended.length,
    // Accounts whose deletion fell due (their sessions and grants go with them).
    accounts: (await deps.store.users.deleteDueForDeletion(now)).length,
    sessions: await deps.store.sessions.deleteExpired(now),
    grants: await deps.store.grants.deleteExpired(now),
    emailCodes: await deps.store.emailCodes.deleteExpired(now),
    invitations: await deps.store.invitations.deleteExpired(now),
    passwordResets: await deps.store.passwordResets.deleteExpired(now),
    loginChallenges: await deps.store.loginChallenges.deleteExpired(now),
    totpEnrollments: await deps.store.secondFactors.deleteExpiredEnrollments(now),
    // Kept an hour past their end, so a late poll still hears expired_token or access_denied.
    deviceAuthorizations: await deps.store.deviceAuthorizations.deleteExpired(now - DEVICE_AUTHORIZATION_RETENTION_MS),
  };
}
