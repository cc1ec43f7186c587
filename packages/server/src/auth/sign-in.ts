/**
 * The one ending of every sign-in. Password, email code and sign-up (and later password reset
 * and the device grant) each prove a first factor, then call `completeSignIn`, which alone
 * turns that proof into a session: it asks whether the account needs a second factor, records
 * when the first factor was proven (`authenticatedAt`, which freshness reads), makes the
 * session and writes the audit event. No other code creates a web session from a sign-in.
 */
import { keepAccountOnSignIn } from "./account.js";
import type { AuditAction } from "./audit-actions.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { createWebSession, type Session } from "./sessions.js";
import { toPublicUser, type User } from "./users.js";

/** A new session and its token (the only time the token exists in the clear). */
export interface SignedIn {
  token: string;
  session: Session;
  user: User;
}

/**
 * How a sign-in ends: a session, or, for an account with two-step verification, the need for a
 * second factor; then no session exists yet and nothing authenticates.
 */
export type SignInOutcome = ({ status: "signed_in" } & SignedIn) | { status: "second_factor_required"; user: User };

/** Which first factor was proven. */
export type FirstFactor = "password" | "email_code";

/** Answers whether an account must pass a second factor before it gets a session. */
export interface SecondFactorPolicy {
  isRequired(user: User): Promise<boolean>;
}


/**
 * Ends a sign-in whose first factor was just proven. `verifiedPasswordHash` is the hash a
 * password sign-in checked: the session is made only if it is still the account's, under the
 * account's lock, so a sign-in with the old password that was in flight during a password
 * change cannot leave a session behind. `account_changed` when the account was changed,
 * disabled or deleted meanwhile; the caller answers as for wrong credentials.
 */
export async function completeSignIn(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes" | "secondFactor" | "notifier">,
  input: { user: User; factor: FirstFactor; auditAction: AuditAction; meta: RequestMeta; verifiedPasswordHash?: string },
): Promise<Result<"account_changed", SignInOutcome>> {
  const user = toPublicUser(input.user);
  if (deps.secondFactor && (await deps.secondFactor.isRequired(user))) {
    await recordAuditEvent(deps, input.meta, {
      action: "auth.second_factor.required",
      actorUserId: user.id,
      target: null,
      detail: { first_factor: input.factor },
    });
    return ok({ status: "second_factor_required", user });
  }
  await keepAccountOnSignIn(deps, user, input.meta);
  return deps.store.transaction(async (store) => {
    const current = await store.users.lockForSessionChange(user.id, "share");
    if (!current || current.disabledAt !== null) return fail("account_changed");
    if (input.verifiedPasswordHash !== undefined && current.passwordHash !== input.verifiedPasswordHash) return fail("account_changed");
    const authenticatedAt = deps.clock.now();
    const { token, session } = await createWebSession({ ...deps, store }, user, input.meta, authenticatedAt);
    await recordAuditEvent({ store, clock: deps.clock }, input.meta, {
      action: input.auditAction,
      actorUserId: user.id,
      target: session.id,
      detail: { first_factor: input.factor },
    });
    return ok({ status: "signed_in" as const, token, session, user });
  });
}
