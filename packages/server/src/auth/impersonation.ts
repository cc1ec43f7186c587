/**
 * Support sessions (impersonation): a platform operator, with two-step verification on, a fresh
 * code and a written reason, gets a session of another account to see what its owner sees. It is
 * a `web` session of the target whose `impersonatorUserId` is the operator, a child of the
 * operator's session (so it dies with it), at most `HARMONT_IMPERSONATION_TTL` long and idle for
 * at most 15 minutes. It reads and changes nothing (the route policy refuses its writes), every
 * audit event made with it names the operator, and each way it ends is recorded.
 *
 * Operators are made only from the server's command line (`users grant-operator`).
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { normalizeEmail } from "./email-address.js";
import { fail, inTransactionUnlessFailed, ok, type Result } from "./result.js";
import { checkSecondFactorCode, isWellFormedSecondFactorCode, markSecondFactorUsed, type AttemptBudget, type SecondFactorMethod } from "./second-factor.js";
import { createSession, type Session } from "./sessions.js";
import type { AuthStore, Clock } from "./types.js";
import { toPublicUser, type User } from "./users.js";

/** Why a support session ended. */
export type ImpersonationEndReason = "stopped" | "logout" | "revoked_by_user" | "operator_session_ended" | "revoked" | "expired";

export interface Impersonation {
  /** The support session. */
  sessionId: string;
  impersonatorUserId: string;
  targetUserId: string;
  reason: string;
  startedAt: number;
  expiresAt: number;
  endedAt: number | null;
  endReason: ImpersonationEndReason | null;
}

export interface ImpersonationStore {
  insert(impersonation: Impersonation): Promise<void>;
  /** With the operator's address and name, for the banner. */
  findBySession(sessionId: string): Promise<(Impersonation & { impersonator: { id: string; email: string; name: string | null } }) | null>;
  /** Ends the open ones among `sessionIds` and returns them: each is ended once. */
  end(sessionIds: string[], reason: ImpersonationEndReason, now: number): Promise<Impersonation[]>;
  /** Ends the open ones whose time is up. */
  closeExpired(now: number): Promise<Impersonation[]>;
  /** The newest first, of one operator or target when given. */
  list(filter: { userId?: string }, limit: number): Promise<Impersonation[]>;
}

export interface ImpersonationSettings {
  lifetimeMs: number;
  /** Mail the person when a support session of their account starts. */
  notifyTarget: boolean;
}

/** A support session idles out after 15 minutes, or sooner when its whole life is shorter. */
const SUPPORT_IDLE_MS = 15 * 60_000;

export type StartFailure =
  | "impersonation_forbidden"
  | "not_operator"
  | "operator_needs_second_factor"
  | "second_factor_invalid"
  | "second_factor_malformed"
  | "not_found"
  | "invalid_reason"
  | "rate_limited";

/** Cleans a written reason: one line, 10 to 500 characters. */
export function cleanReason(reason: string): string | null {
  const cleaned = reason.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, " ").replace(/\s+/g, " ").trim();
  return cleaned.length >= 10 && cleaned.length <= 500 ? cleaned : null;
}

/**
 * Starts a support session of `target` for the calling operator. In order: no nesting, the
 * operator role (a refusal is audited), the operator's own two-step verification, the start
 * budget, the reason, the code (checked without writing, spent in the transaction that makes
 * the session), then the target: it exists, is not disabled, is not the caller or an operator.
 */
export async function startImpersonation(
  deps: AuthDeps & { impersonation: ImpersonationSettings },
  caller: Authenticated,
  input: { target: { userId: string } | { email: string }; reason: string; method: SecondFactorMethod; code: string },
  budgets: { failures: AttemptBudget; starts: AttemptBudget },
  meta: RequestMeta,
): Promise<{ ok: true; value: { token: string; session: Session; target: User; impersonation: Impersonation } } | { ok: false; failure: StartFailure; retryAfterSeconds?: number }> {
  if (caller.session.impersonatorUserId !== null) return fail("impersonation_forbidden");
  const operatorId = caller.user.id;
  if ((await deps.store.users.readPlatformRole(operatorId)) !== "operator") {
    await recordAuditEvent(deps, meta, { action: "admin.access.denied", target: "/api/v0/admin/impersonations" });
    return fail("not_operator");
  }
  if (!(await deps.store.secondFactors.isEnabled(operatorId))) return fail("operator_needs_second_factor");
  const reason = cleanReason(input.reason);
  if (reason === null) return fail("invalid_reason");
  if (!isWellFormedSecondFactorCode(input.method, input.code)) return fail("second_factor_malformed");
  const started = await budgets.starts.consume(operatorId);
  if (!started.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: started.retryAfterSeconds };
  const spent = await budgets.failures.consume(operatorId);
  if (!spent.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: spent.retryAfterSeconds };
  const match = await checkSecondFactorCode(deps, operatorId, input.method, input.code);
  if (match === null || match === "replayed") {
    await recordAuditEvent(deps, meta, { action: "auth.second_factor.failed", target: operatorId, detail: { method: input.method, during: "impersonation" } });
    return fail("second_factor_invalid");
  }
  await budgets.failures.reset(operatorId);

  const target = "userId" in input.target ? await deps.store.users.findById(input.target.userId) : await deps.store.users.findByEmail(normalizeEmail(input.target.email));
  if (!target || target.disabledAt !== null) return fail("not_found");
  const refusal = target.id === operatorId ? "self" : (await deps.store.users.readPlatformRole(target.id)) === "operator" ? "operator_target" : null;
  if (refusal) {
    await recordAuditEvent(deps, meta, { action: "admin.impersonation.refused", target: target.id, detail: { why: refusal } });
    return fail("impersonation_forbidden");
  }

  const lifetimeMs = deps.impersonation.lifetimeMs;
  const made = await inTransactionUnlessFailed(
    deps.store,
    async (store): Promise<Result<"second_factor_invalid" | "not_found", { token: string; session: Session; impersonation: Impersonation }>> => {
      const now = deps.clock.now();
      if (!(await markSecondFactorUsed(store, operatorId, match, now))) return fail("second_factor_invalid");
      const locked = await store.users.lockForSessionChange(target.id, "share");
      if (!locked || locked.disabledAt !== null) return fail("not_found");
      const { token, session } = await createSession(
        { store, clock: deps.clock, lifetimes: deps.lifetimes },
        {
          user: toPublicUser(locked),
          kind: "web",
          name: "Support session",
          parentSessionId: caller.session.id,
          authenticatedAt: null,
          mfaVerifiedAt: null,
          orgId: null,
          meta,
          support: { impersonatorUserId: operatorId, idleTimeoutMs: Math.min(SUPPORT_IDLE_MS, lifetimeMs), lifetimeMs },
        },
      );
      const impersonation: Impersonation = {
        sessionId: session.id,
        impersonatorUserId: operatorId,
        targetUserId: target.id,
        reason,
        startedAt: now,
        expiresAt: session.absoluteExpiresAt,
        endedAt: null,
        endReason: null,
      };
      await store.impersonations.insert(impersonation);
      await recordAuditEvent({ store, clock: deps.clock }, meta, {
        action: "admin.impersonation.started",
        target: target.id,
        detail: { session_id: session.id, reason },
      });
      return ok({ token, session, impersonation });
    },
  );
  if (!made.ok) return made;
  if (deps.impersonation.notifyTarget) await deps.notifier.sendImpersonationStarted(target.email, { reason, expiresAt: made.value.impersonation.expiresAt });
  return ok({ ...made.value, target: toPublicUser(target) });
}

/**
 * Records how support sessions among `sessionIds` (just revoked) ended, once each, with an audit
 * event that names the operator. Called by every path that revokes sessions.
 */
export async function recordImpersonationsEnded(
  deps: { store: AuthStore; clock: Clock },
  sessionIds: string[],
  reason: ImpersonationEndReason,
  meta: RequestMeta,
): Promise<void> {
  if (sessionIds.length === 0) return;
  const ended = await deps.store.impersonations.end(sessionIds, reason, deps.clock.now());
  for (const impersonation of ended) {
    await recordAuditEvent(deps, meta, {
      action: "admin.impersonation.ended",
      actorUserId: meta.actor?.userId ?? null,
      target: impersonation.targetUserId,
      detail: { session_id: impersonation.sessionId, end_reason: reason, operator_user_id: impersonation.impersonatorUserId },
    });
  }
}

/** What a support session's banner shows; `null` for any other session. */
export async function describeImpersonation(deps: Pick<AuthDeps, "store">, session: Session) {
  if (session.impersonatorUserId === null) return null;
  return deps.store.impersonations.findBySession(session.id);
}

/**
 * One support session and its audit trail: its start and end, and every event made while it
 * lasted by the account with the operator named (what `recordAuditEvent` adds for a support
 * session). `null` for an unknown session id.
 */
export async function listImpersonationTrail(deps: Pick<AuthDeps, "store" | "clock">, sessionId: string) {
  const impersonation = (await deps.store.impersonations.list({}, 10_000)).find((row) => row.sessionId === sessionId);
  if (!impersonation) return null;
  const until = impersonation.endedAt ?? deps.clock.now();
  const events = await deps.store.audit.list({ since: impersonation.startedAt, until });
  return {
    impersonation,
    events: events.filter(
      (event) =>
        event.detail?.session_id === sessionId ||
        (event.actorUserId === impersonation.targetUserId && event.detail?.impersonator_user_id === impersonation.impersonatorUserId),
    ),
  };
}
