/**
 * Password reset: request (always the same answer), check (consumes nothing, so mail scanners
 * that prefetch links do no harm) and complete (single use; every session, token and pending
 * handoff of the account is revoked; no sign-in by itself; a notice is mailed).
 *
 * The token is `hrt_` and 256 bits, mailed in the link's fragment (built from the public URL,
 * never from the request), stored as its SHA-256, live for 30 minutes, one per account, and worth
 * at most 5 completion attempts. With two-step verification on, completing it also needs a code.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { isPlausibleEmail, maskEmail, normalizeEmail } from "./email-address.js";
import { checkPasswordPolicy, type PasswordProblem } from "./passwords.js";
import { fail, inTransactionUnlessFailed, ok, type Result } from "./result.js";
import { checkSecondFactorCode, isWellFormedSecondFactorCode, markSecondFactorUsed, type AttemptBudget, type SecondFactorMatch, type SecondFactorMethod } from "./second-factor.js";
import { revokeAllUserSessions } from "./sessions.js";
import { generatePrefixedSecret, hashSecret, isWellFormedSecret } from "./tokens.js";

export const PASSWORD_RESET_TOKEN_PREFIX = "hrt_";
/** Completion attempts one token allows (a weak new password costs none). */
export const PASSWORD_RESET_ATTEMPTS = 5;

export interface PasswordResetRecord {
  tokenHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface PasswordResetStore {
  insert(record: PasswordResetRecord): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
  /** The live token's user and expiry; reads only. */
  findLive(tokenHash: string, now: number): Promise<{ userId: string; expiresAt: number } | null>;
  /** Spends one attempt of a live token with attempts left; its user, or `null`. */
  spendAttempt(tokenHash: string, now: number, maxAttempts: number): Promise<string | null>;
  /** Deletes the live token and returns its user: of concurrent consumes, one gets it. */
  consume(tokenHash: string, now: number): Promise<string | null>;
  deleteExpired(now: number): Promise<number>;
}

/** Asks for a reset link. Unknown and disabled addresses get a "no account here" mail instead. */
export async function requestPasswordReset(
  deps: AuthDeps,
  emailInput: string,
  linkBase: string,
  meta: RequestMeta,
): Promise<Result<"invalid_email", { expiresInSeconds: number }>> {
  const email = normalizeEmail(emailInput);
  if (!isPlausibleEmail(email)) return fail("invalid_email");
  const ttl = deps.lifetimes.passwordResetMs;
  const user = await deps.store.users.findByEmail(email);
  if (user && user.disabledAt === null) {
    const token = generatePrefixedSecret(PASSWORD_RESET_TOKEN_PREFIX);
    const now = deps.clock.now();
    await deps.store.transaction(async (store) => {
      // One live token per account: a new request voids the older links.
      await store.passwordResets.deleteForUser(user.id);
      await store.passwordResets.insert({ tokenHash: hashSecret(token), userId: user.id, createdAt: now, expiresAt: now + ttl });
    });
    await recordAuditEvent(deps, meta, { action: "auth.password_reset.requested", actorUserId: user.id, target: user.id, detail: { known: true } });
    await deps.notifier.sendPasswordReset(user.email, `${linkBase}/reset-password#token=${token}`, Math.round(ttl / 60_000));
  } else {
    await recordAuditEvent(deps, meta, { action: "auth.password_reset.requested", actorUserId: null, target: null, detail: { known: false } });
    await deps.notifier.sendPasswordResetNoAccount(email);
  }
  return ok({ expiresInSeconds: Math.round(ttl / 1000) });
}

/** Whether a reset link still works, and for which address (masked). Consumes nothing. */
export async function checkPasswordReset(
  deps: AuthDeps,
  token: string,
): Promise<Result<"password_reset_invalid", { emailHint: string; expiresAt: number; secondFactorRequired: boolean }>> {
  if (!isWellFormedSecret(PASSWORD_RESET_TOKEN_PREFIX, token)) return fail("password_reset_invalid");
  const live = await deps.store.passwordResets.findLive(hashSecret(token), deps.clock.now());
  if (!live) return fail("password_reset_invalid");
  const user = await deps.store.users.findById(live.userId);
  if (!user || user.disabledAt !== null) return fail("password_reset_invalid");
  return ok({ emailHint: maskEmail(user.email), expiresAt: live.expiresAt, secondFactorRequired: await deps.store.secondFactors.isEnabled(user.id) });
}

/**
 * Sets the new password with a live token, once. The policy is checked before anything is
 * spent; then one attempt is spent. An account with two-step verification must also give a
 * code (a mailbox alone must not be enough to take the account over), checked against the
 * per-account failure budget. Then the password is hashed, and in one transaction the token is
 * consumed, the code spent, the hash set, the address marked verified (the mailbox was proven)
 * and every session, API token, handoff and paste code of the account revoked. No session is made.
 */
export async function completePasswordReset(
  deps: AuthDeps,
  input: { token: string; newPassword: string; secondFactor?: { method: SecondFactorMethod; code: string } | undefined },
  budget: AttemptBudget,
  meta: RequestMeta,
): Promise<
  | { ok: true; value: { email: string } }
  | {
      ok: false;
      failure: "password_reset_invalid" | "second_factor_required" | "second_factor_invalid" | "second_factor_malformed" | "rate_limited" | PasswordProblem;
      retryAfterSeconds?: number;
    }
> {
  const problem = checkPasswordPolicy(input.newPassword);
  if (problem) return fail(problem);
  if (!isWellFormedSecret(PASSWORD_RESET_TOKEN_PREFIX, input.token)) return fail("password_reset_invalid");
  if (input.secondFactor && !isWellFormedSecondFactorCode(input.secondFactor.method, input.secondFactor.code)) return fail("second_factor_malformed");
  const tokenHash = hashSecret(input.token);
  const userId = await deps.store.passwordResets.spendAttempt(tokenHash, deps.clock.now(), PASSWORD_RESET_ATTEMPTS);
  if (!userId) {
    await recordAuditEvent(deps, meta, { action: "auth.password_reset.failed", actorUserId: null, target: null, detail: { why: "invalid_token" } });
    return fail("password_reset_invalid");
  }
  let match: SecondFactorMatch | null = null;
  if (await deps.store.secondFactors.isEnabled(userId)) {
    if (!input.secondFactor) return fail("second_factor_required");
    const spent = await budget.consume(userId);
    if (!spent.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: spent.retryAfterSeconds };
    const checked = await checkSecondFactorCode(deps, userId, input.secondFactor.method, input.secondFactor.code);
    if (checked === null || checked === "replayed") {
      await recordAuditEvent(deps, meta, { action: "auth.password_reset.failed", actorUserId: userId, target: userId, detail: { why: "second_factor" } });
      return fail("second_factor_invalid");
    }
    match = checked;
  }
  const newHash = await deps.passwords.hash(input.newPassword);
  const done = await inTransactionUnlessFailed(deps.store, async (store): Promise<Result<"password_reset_invalid" | "second_factor_invalid", string>> => {
    const now = deps.clock.now();
    const consumed = await store.passwordResets.consume(tokenHash, now);
    if (consumed !== userId) return fail("password_reset_invalid");
    if (match && !(await markSecondFactorUsed(store, userId, match, now))) return fail("second_factor_invalid");
    const user = await store.users.lockForSessionChange(userId, "exclusive");
    if (!user || user.disabledAt !== null) return fail("password_reset_invalid");
    await store.users.setPasswordHash(userId, newHash, now);
    if (user.emailVerifiedAt === null) await store.users.markEmailVerified(userId, now, false);
    // Every session and API token, pending handoff and paste code, and any other reset link.
    await revokeAllUserSessions({ store, clock: deps.clock }, userId, meta, "password_reset", { scope: "everything" });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "auth.password_reset.completed", actorUserId: userId, target: userId });
    return ok(user.email);
  });
  if (!done.ok) return done;
  if (match) await budget.reset(userId);
  await deps.notifier.sendPasswordResetDone(done.value);
  return ok({ email: done.value });
}
