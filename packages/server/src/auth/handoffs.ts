/**
 * The CLI loopback handoff (transfer → claim), and its refusal (deny).
 *
 * A nonce's life: absent → transfer → parked (handoff lifetime) → claim → gone.
 * absent → deny → denied (handoff lifetime) → the next claim answers "denied" once → gone.
 * parked → deny by the same user → denied. Only hashes are stored, and the CLI's session is
 * created at claim time, so an unclaimed handoff leaves nothing usable behind.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { issueCliSession } from "./sessions.js";
import { cleanSessionName, hashSecret, isValidNonce } from "./tokens.js";


/** transfer: parks a handoff of the caller's account under the nonce. First writer wins. */
export async function parkHandoff(
  deps: AuthDeps,
  caller: Authenticated,
  nonce: string,
  meta: RequestMeta,
): Promise<Result<"invalid_nonce" | "cli_nonce_in_use">> {
  if (!isValidNonce(nonce)) return fail("invalid_nonce");
  const now = deps.clock.now();
  const parked = await deps.store.handoffs.insertIfAbsent(
    {
      nonceHash: hashSecret(nonce),
      state: "parked",
      userId: caller.user.id,
      sessionId: caller.session.id,
      createdAt: now,
      expiresAt: now + deps.lifetimes.handoffMs,
    },
    now,
  );
  await recordAuditEvent(deps, meta, {
    action: parked ? "cli.handoff.parked" : "cli.handoff.rejected_in_use",
    actorUserId: caller.user.id,
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
): Promise<Result<"invalid_nonce" | "cli_nonce_in_use">> {
  if (!isValidNonce(nonce)) return fail("invalid_nonce");
  const nonceHash = hashSecret(nonce);
  // Two rounds at most: a transfer may land between our read and our insert.
  for (let round = 0; round < 2; round++) {
    const now = deps.clock.now();
    const expiresAt = now + deps.lifetimes.handoffMs;
    const existing = await deps.store.handoffs.findLive(nonceHash, now);
    let denied = false;
    if (!existing) {
      denied = await deps.store.handoffs.insertIfAbsent(
        { nonceHash, state: "denied", userId: caller.user.id, sessionId: caller.session.id, createdAt: now, expiresAt },
        now,
      );
    } else if (existing.state === "denied") {
      return ok(undefined);
    } else if (existing.userId !== caller.user.id) {
      return fail("cli_nonce_in_use");
    } else {
      denied = await deps.store.handoffs.denyParked(nonceHash, caller.user.id, now, expiresAt);
    }
    if (denied) {
      await recordAuditEvent(deps, meta, { action: "cli.handoff.denied", actorUserId: caller.user.id, target: caller.session.id });
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
): Promise<Result<"cli_code_invalid" | "cli_handoff_denied", { token: string }>> {
  if (!isValidNonce(nonce)) return fail("cli_code_invalid");
  const nonceHash = hashSecret(nonce);
  // A waiting CLI polls about once a second: answer its misses with a read, no write.
  if (!(await deps.store.handoffs.isPending(nonceHash, deps.clock.now()))) return fail("cli_code_invalid");
  return deps.store.transaction(async (store) => {
    const now = deps.clock.now();
    const handoff = await store.handoffs.consume(nonceHash, now);
    if (!handoff) return fail("cli_code_invalid");
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
}
