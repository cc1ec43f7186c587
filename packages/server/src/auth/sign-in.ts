/**
 * The one ending of every sign-in. Password, email code and sign-up each prove a first factor,
 * then call `completeSignIn`, which alone turns that proof into a session: an account with
 * two-step verification gets a login challenge instead (`login-challenges.ts`, whose endings
 * make the session here too); it records when the first factor was proven (`authenticatedAt`,
 * which freshness reads) and writes the audit event. No other code creates a web session from a
 * sign-in.
 */
import { keepAccountOnSignIn } from "./account.js";
import type { AuditAction } from "./audit-actions.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { issueLoginChallenge, type IssuedLoginChallenge } from "./login-challenges.js";
import { createWebSession, type Session } from "./sessions.js";
import { toPublicUser, type User } from "./users.js";

/** A new session and its token (the only time the token exists in the clear). */
export interface SignedIn {
  token: string;
  session: Session;
  user: User;
}

/**
 * How a sign-in ends: a session, or, for an account with two-step verification, a login
 * challenge; then no session exists yet, and the challenge token authenticates nothing.
 */
export type SignInOutcome = ({ status: "signed_in" } & SignedIn) | { status: "second_factor_required"; user: User; challenge: IssuedLoginChallenge };

/** Which first factor was proven. */
export type FirstFactor = "password" | "email_code";

/**
 * Ends a sign-in whose first factor was just proven. `verifiedPasswordHash` is the hash a
 * password sign-in checked: the session is made only if it is still the account's, under the
 * account's lock, so a sign-in with the old password that was in flight during a password
 * change cannot leave a session behind. `account_changed` when the account was changed,
 * disabled or deleted meanwhile; the caller answers as for wrong credentials.
 */
export async function completeSignIn(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes" | "notifier">,
  input: { user: User; factor: FirstFactor; auditAction: AuditAction; meta: RequestMeta; verifiedPasswordHash?: string },
): Promise<Result<"account_changed", SignInOutcome>> {
  const user = toPublicUser(input.user);
  if (await deps.store.secondFactors.isEnabled(user.id)) {
    const challenge = await issueLoginChallenge(deps, user, input.factor, input.meta);
    return ok({ status: "second_factor_required", user, challenge });
  }
  await keepAccountOnSignIn(deps, user, input.meta);
  return deps.store.transaction((store) =>
    openSignedInSession({ ...deps, store }, {
      user,
      authenticatedAt: deps.clock.now(),
      mfaVerifiedAt: null,
      auditAction: input.auditAction,
      detail: { first_factor: input.factor },
      meta: input.meta,
      verifiedPasswordHash: input.verifiedPasswordHash,
    }),
  );
}

/**
 * Makes the web session of a finished sign-in, on a transaction's store: under the account's
 * lock (shared), so a revocation of everything (a password change, disabling) that holds it
 * has finished before, or waits. Only `completeSignIn` and the second-factor endings call it.
 */
export async function openSignedInSession(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes">,
  input: {
    user: User;
    authenticatedAt: number;
    mfaVerifiedAt: number | null;
    auditAction: AuditAction;
    detail: Record<string, string | number | boolean | null>;
    meta: RequestMeta;
    verifiedPasswordHash?: string | undefined;
  },
): Promise<Result<"account_changed", { status: "signed_in" } & SignedIn>> {
  const current = await deps.store.users.lockForSessionChange(input.user.id, "share");
  if (!current || current.disabledAt !== null) return fail("account_changed");
  if (input.verifiedPasswordHash !== undefined && current.passwordHash !== input.verifiedPasswordHash) return fail("account_changed");
  const user = toPublicUser(current);
  const { token, session } = await createWebSession(deps, user, input.meta, { authenticatedAt: input.authenticatedAt, mfaVerifiedAt: input.mfaVerifiedAt });
  await recordAuditEvent(deps, input.meta, { action: input.auditAction, actorUserId: user.id, target: session.id, detail: input.detail });
  return ok({ status: "signed_in" as const, token, session, user });
}
