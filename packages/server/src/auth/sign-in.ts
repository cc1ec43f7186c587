/**
 * The one ending of every sign-in. Password, email code and sign-up (and later password reset
 * and the device grant) each prove a first factor, then call `completeSignIn`, which alone
 * turns that proof into a session: it asks whether the account needs a second factor, records
 * when the first factor was proven (`authenticatedAt`, which freshness reads), makes the
 * session and writes the audit event. No other code creates a web session from a sign-in.
 */
import type { AuditAction } from "./audit-actions.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
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


export async function completeSignIn(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes" | "secondFactor">,
  input: { user: User; factor: FirstFactor; auditAction: AuditAction; meta: RequestMeta },
): Promise<SignInOutcome> {
  const user = toPublicUser(input.user);
  if (deps.secondFactor && (await deps.secondFactor.isRequired(user))) {
    await recordAuditEvent(deps, input.meta, {
      action: "auth.second_factor.required",
      actorUserId: user.id,
      target: null,
      detail: { first_factor: input.factor },
    });
    return { status: "second_factor_required", user };
  }
  const authenticatedAt = deps.clock.now();
  const { token, session } = await createWebSession(deps, user, input.meta, authenticatedAt);
  await recordAuditEvent(deps, input.meta, {
    action: input.auditAction,
    actorUserId: user.id,
    target: session.id,
    detail: { first_factor: input.factor },
  });
  return { status: "signed_in", token, session, user };
}
