/**
 * The CLI loopback handoff (transfer → claim), and its refusal (deny): a grant of kind
 * `cli_handoff`, stored under the SHA-256 of the CLI's nonce.
 *
 * A nonce's life: absent → transfer → approved (handoff lifetime) → claim → gone.
 * absent → deny → denied (handoff lifetime) → the next claim answers "denied" once → gone.
 * approved → deny by the same user → denied. Only hashes are stored, and the CLI's session is
 * created at claim time, so an unclaimed handoff leaves nothing usable behind.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { redeemGrant, storeDecidedGrant } from "./grants.js";
import { fail, ok, type Result } from "./result.js";
import { noticeNewCliSession } from "./account.js";
import { issueCliSession, type Session } from "./sessions.js";
import { cleanSessionName, hashSecret, isValidNonce } from "./tokens.js";

const KIND = "cli_handoff";

/** transfer: parks a handoff of the caller's account under the nonce. First writer wins. */
export async function parkHandoff(
  deps: AuthDeps,
  caller: Authenticated,
  nonce: string,
  meta: RequestMeta,
): Promise<Result<"invalid_nonce" | "cli_nonce_in_use" | "session_gone">> {
  if (!isValidNonce(nonce)) return fail("invalid_nonce");
  const { outcome } = await storeDecidedGrant(deps, {
    kind: KIND,
    secretHash: hashSecret(nonce),
    state: "approved",
    userId: caller.user.id,
    sessionId: caller.session.id,
    lifetimeMs: deps.lifetimes.handoffMs,
  });
  if (outcome === "owner_gone") return fail("session_gone");
  const parked = outcome === "inserted";
  await recordAuditEvent(deps, meta, {
    action: parked ? "cli.handoff.parked" : "cli.handoff.rejected_in_use",
    target: caller.session.id,
  });
  return parked ? ok(undefined) : fail("cli_nonce_in_use");
}

/** deny: refuses a CLI login, whether or not it was parked yet. */
export async function denyHandoff(
  deps: AuthDeps,
  caller: Authenticated,
  nonce: string,
  meta: RequestMeta,
): Promise<Result<"invalid_nonce" | "cli_nonce_in_use" | "session_gone">> {
  if (!isValidNonce(nonce)) return fail("invalid_nonce");
  const secretHash = hashSecret(nonce);
  // Two rounds at most: a transfer may land between our read and our insert.
  for (let round = 0; round < 2; round++) {
    const now = deps.clock.now();
    const expiresAt = now + deps.lifetimes.handoffMs;
    const existing = await deps.store.grants.findLive(KIND, secretHash, now);
    let denied = false;
    if (!existing) {
      const { outcome } = await storeDecidedGrant(deps, {
        kind: KIND,
        secretHash,
        state: "denied",
        userId: caller.user.id,
        sessionId: caller.session.id,
        lifetimeMs: deps.lifetimes.handoffMs,
      });
      if (outcome === "owner_gone") return fail("session_gone");
      denied = outcome === "inserted";
    } else if (existing.state === "denied") {
      return ok(undefined);
    } else if (existing.userId !== caller.user.id) {
      return fail("cli_nonce_in_use");
    } else {
      denied = await deps.store.grants.changeState(KIND, secretHash, { from: "approved", to: "denied", userId: caller.user.id, expiresAt }, now);
    }
    if (denied) {
      await recordAuditEvent(deps, meta, { action: "cli.handoff.denied", target: caller.session.id });
      return ok(undefined);
    }
  }
  return fail("cli_nonce_in_use");
}

/**
 * claim: consumes a parked handoff in one conditional write and creates a new CLI session for
 * its user. Every miss (never parked, not yet parked, expired, claimed) is the same failure.
 */
export async function claimHandoff(
  deps: AuthDeps,
  nonce: string,
  name: unknown,
  meta: RequestMeta,
): Promise<Result<"cli_code_invalid" | "cli_handoff_denied", { token: string; session: Session }>> {
  if (!isValidNonce(nonce)) return fail("cli_code_invalid");
  const claimed = await redeemGrant(deps, KIND, hashSecret(nonce), "cli_code_invalid", async (store, handoff) => {
    if (handoff.state === "denied") {
      await recordAuditEvent({ store, clock: deps.clock }, meta, {
        action: "cli.handoff.denial_delivered",
        actorUserId: handoff.userId,
        target: handoff.sessionId,
      });
      return fail("cli_handoff_denied");
    }
    const issued = await issueCliSession(
      deps,
      store,
      { userId: handoff.userId, parentSessionId: handoff.sessionId, name: cleanSessionName(name), auditAction: "cli.handoff.claimed" },
      meta,
    );
    return issued ? ok(issued) : fail("cli_code_invalid");
  });
  if (claimed.ok) await noticeNewCliSession(deps, claimed.value.session);
  return claimed;
}
