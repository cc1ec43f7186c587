/**
 * Accounts: sign-up and password sign-in. An unknown email and a wrong password give the same
 * answer after the same work (a dummy hash runs for unknown emails).
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { isPlausibleEmail, normalizeEmail } from "./email-address.js";
import { issueEmailCode, useEmailCode } from "./email-codes.js";
import { checkPasswordPolicy, type PasswordProblem } from "./passwords.js";
import { fail, ok, type Result } from "./result.js";
import { isFresh, revokeAllUserSessions } from "./sessions.js";
import { completeSignIn, type SignInOutcome } from "./sign-in.js";
import { generateId } from "./tokens.js";
import type { Authenticated } from "./context.js";
import { toPublicUser, type User, type UserWithPassword } from "./users.js";

export type { SignedIn, SignInOutcome } from "./sign-in.js";

export type SignUpFailure = "invalid_email" | "email_taken" | PasswordProblem;


/** Checks an address and a password and builds the new user (not yet stored). */
async function preparePasswordUser(
  deps: AuthDeps,
  input: { email: string; password: string; name?: string | undefined },
  emailVerifiedAt: number | null,
): Promise<Result<SignUpFailure, UserWithPassword>> {
  const email = normalizeEmail(input.email);
  if (!isPlausibleEmail(email)) return fail("invalid_email");
  const problem = checkPasswordPolicy(input.password);
  if (problem) return fail(problem);
  return ok({
    id: generateId("usr"),
    email,
    name: input.name?.trim() || null,
    passwordHash: await deps.passwords.hash(input.password),
    emailVerifiedAt,
    disabledAt: null,
    createdAt: deps.clock.now(),
  });
}

export async function signUpWithPassword(
  deps: AuthDeps,
  input: { email: string; password: string; name?: string | undefined },
  meta: RequestMeta,
): Promise<Result<SignUpFailure, SignInOutcome>> {
  const prepared = await preparePasswordUser(deps, input, null);
  if (!prepared.ok) return prepared;
  const user = prepared.value;
  if (!(await deps.store.users.insert(user))) return fail("email_taken");
  const ended = await completeSignIn(deps, { user, factor: "password", auditAction: "user.signed_up", meta });
  // Only an operator disabling the account in the same instant could change it meanwhile.
  if (!ended.ok) return fail("email_taken");
  await issueEmailCode(deps, user.email, "verify_email");
  return ok(ended.value);
}

export async function signInWithPassword(
  deps: AuthDeps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<Result<"invalid_credentials", SignInOutcome>> {
  const email = normalizeEmail(input.email);
  const user = await deps.store.users.findByEmail(email);
  let verified = false;
  if (user?.passwordHash) verified = await deps.passwords.verify(user.passwordHash, input.password);
  else await deps.passwords.verifyDummy(input.password);
  if (!user || !verified || user.disabledAt !== null) {
    await recordAuditEvent(deps, meta, { action: "auth.login.failed", actorUserId: user?.id ?? null, target: null });
    return fail("invalid_credentials");
  }
  const ended = await completeSignIn(deps, {
    user,
    factor: "password",
    auditAction: "auth.login.succeeded",
    meta,
    verifiedPasswordHash: user.passwordHash ?? "",
  });
  return ended.ok ? ended : fail("invalid_credentials");
}

/** Sends a sign-in code. Says nothing about whether the account exists. */
export async function requestSignInCode(deps: AuthDeps, emailInput: string): Promise<Result<"invalid_email">> {
  const email = normalizeEmail(emailInput);
  if (!isPlausibleEmail(email)) return fail("invalid_email");
  // The code goes to the stored address, which is the normalised one the lookup matched.
  const user = await deps.store.users.findByEmail(email);
  await issueEmailCode(deps, user?.email ?? email, "sign_in");
  return ok(undefined);
}

/**
 * Signs in with an emailed code, creating the account (verified) on first use. Whoever holds
 * the mailbox owns the address: signing into an unverified account this way marks it verified,
 * removes the password set before verification, and signs out every other session, so an
 * account pre-registered by someone else with this address is taken back.
 */
export async function signInWithEmailCode(
  deps: AuthDeps,
  input: { email: string; code: string },
  meta: RequestMeta,
): Promise<Result<"email_code_invalid", { outcome: SignInOutcome; created: boolean }>> {
  const email = normalizeEmail(input.email);
  if (!isPlausibleEmail(email)) return fail("email_code_invalid");
  if (!(await useEmailCode(deps, email, "sign_in", input.code))) {
    // The record names the account that was tried, when there is one.
    const tried = await deps.store.users.findByEmail(email);
    await recordAuditEvent(deps, meta, { action: "auth.email_code.failed", actorUserId: tried?.id ?? null, target: null });
    return fail("email_code_invalid");
  }
  const now = deps.clock.now();
  let user: UserWithPassword | null = await deps.store.users.findByEmail(email);
  let created = false;
  if (!user) {
    const fresh = { id: generateId("usr"), email, name: null, passwordHash: null, emailVerifiedAt: now, disabledAt: null, createdAt: now };
    if (await deps.store.users.insert(fresh)) {
      user = fresh;
      created = true;
    } else {
      user = await deps.store.users.findByEmail(email);
    }
  }
  if (!user || user.disabledAt !== null) return fail("email_code_invalid");
  if (user.emailVerifiedAt === null) {
    await deps.store.users.markEmailVerified(user.id, now, true);
    await revokeAllUserSessions(deps, user.id, meta, "unverified_account_claimed_by_mailbox_owner", { scope: "everything" });
    await recordAuditEvent(deps, meta, {
      action: "user.unverified_account_reclaimed",
      actorUserId: user.id,
      target: user.id,
      detail: { password_cleared: user.passwordHash !== null },
    });
    user = { ...user, emailVerifiedAt: now, passwordHash: null };
  }
  const ended = await completeSignIn(deps, {
    user,
    factor: "email_code",
    auditAction: created ? "user.signed_up_by_email_code" : "auth.email_code.succeeded",
    meta,
  });
  return ended.ok ? ok({ outcome: ended.value, created }) : fail("email_code_invalid");
}

/** Sends a new verification code to the caller's stored address. */
export async function resendVerificationCode(deps: AuthDeps, caller: Authenticated): Promise<Result<"already_verified">> {
  if (caller.user.emailVerifiedAt !== null) return fail("already_verified");
  await issueEmailCode(deps, caller.user.email, "verify_email");
  return ok(undefined);
}

/** Verifies the caller's email with the code sent at sign-up. Only sets `email_verified_at`. */
export async function verifyEmailAddress(
  deps: AuthDeps,
  caller: Authenticated,
  code: string,
  meta: RequestMeta,
): Promise<Result<"email_code_invalid", User>> {
  if (caller.user.emailVerifiedAt !== null) return ok(caller.user);
  if (!(await useEmailCode(deps, caller.user.email, "verify_email", code))) return fail("email_code_invalid");
  const now = deps.clock.now();
  await deps.store.users.markEmailVerified(caller.user.id, now, false);
  await recordAuditEvent(deps, meta, { action: "user.email_verified", target: caller.user.id });
  return ok({ ...caller.user, emailVerifiedAt: now });
}

/**
 * Changes the caller's password: checks the current one (an account without a password needs a
 * fresh session instead: a first factor proven in the last 15 minutes, by this session or the
 * session it was made from), signs out every other session, deletes pending handoffs and codes,
 * and sends a notice.
 */
export async function changePassword(
  deps: AuthDeps,
  caller: Authenticated,
  input: { currentPassword?: string | undefined; newPassword: string },
  meta: RequestMeta,
): Promise<Result<"invalid_credentials" | "reauthentication_required" | PasswordProblem>> {
  const user = await deps.store.users.findById(caller.user.id);
  if (!user) return fail("invalid_credentials");
  if (user.passwordHash) {
    const verified = input.currentPassword !== undefined && (await deps.passwords.verify(user.passwordHash, input.currentPassword));
    if (!verified) {
      await recordAuditEvent(deps, meta, { action: "auth.password_change.failed", target: caller.session.id });
      return fail("invalid_credentials");
    }
  } else if (!isFresh(caller.session, deps.clock.now())) {
    return fail("reauthentication_required");
  }
  const problem = checkPasswordPolicy(input.newPassword);
  if (problem) return fail(problem);
  const newHash = await deps.passwords.hash(input.newPassword);
  // One transaction under the account's lock: the new hash and the revocation land together, and
  // a sign-in that checked the old password cannot make a session after them (see completeSignIn).
  await deps.store.transaction(async (store) => {
    await store.users.lockForSessionChange(user.id, "exclusive");
    await store.users.setPasswordHash(user.id, newHash, deps.clock.now());
    await revokeAllUserSessions({ store, clock: deps.clock }, user.id, meta, "password_changed", {
      scope: "sign_ins",
      exceptSessionId: caller.session.id,
    });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "auth.password_changed", target: caller.session.id });
  });
  await deps.notifier.sendPasswordChanged(user.email);
  return ok(undefined);
}

/** Operators: creates a verified account with a password. */
export async function createUserAsOperator(
  deps: AuthDeps,
  input: { email: string; password: string; name?: string | undefined },
  meta: RequestMeta,
): Promise<Result<SignUpFailure, User>> {
  const prepared = await preparePasswordUser(deps, input, deps.clock.now());
  if (!prepared.ok) return prepared;
  const user = prepared.value;
  if (!(await deps.store.users.insert(user))) return fail("email_taken");
  await recordAuditEvent(deps, meta, { action: "operator.user_created", actorUserId: null, target: user.id });
  return ok(toPublicUser(user));
}

/** Operators: disables an account and revokes every session at once. */
export async function disableUser(deps: AuthDeps, emailInput: string, meta: RequestMeta): Promise<Result<"unknown_user", { sessionsRevoked: number }>> {
  const user = await deps.store.users.findByEmail(normalizeEmail(emailInput));
  if (!user) return fail("unknown_user");
  const sessionsRevoked = await deps.store.transaction(async (store) => {
    await store.users.lockForSessionChange(user.id, "exclusive");
    await store.users.setDisabled(user.id, deps.clock.now(), deps.clock.now());
    const revoked = await revokeAllUserSessions({ store, clock: deps.clock }, user.id, meta, "user_disabled", { scope: "everything" });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "operator.user_disabled", actorUserId: null, target: user.id });
    return revoked;
  });
  return ok({ sessionsRevoked });
}

/**
 * Operators: lets a disabled account sign in again. Its sessions were revoked when it was
 * disabled and stay revoked. `wasDisabled` is `false` (and nothing is written) when it was not disabled.
 */
export async function enableUser(deps: AuthDeps, emailInput: string, meta: RequestMeta): Promise<Result<"unknown_user", { wasDisabled: boolean }>> {
  const user = await deps.store.users.findByEmail(normalizeEmail(emailInput));
  if (!user) return fail("unknown_user");
  if (user.disabledAt === null) return ok({ wasDisabled: false });
  await deps.store.transaction(async (store) => {
    await store.users.setDisabled(user.id, null, deps.clock.now());
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "operator.user_enabled", actorUserId: null, target: user.id });
  });
  return ok({ wasDisabled: true });
}

/**
 * Operators: grants or takes away the platform operator role, which only the server's command
 * line can change. Taking it away signs the account out everywhere, which ends the support
 * sessions it started with them. `false` when the role was already so.
 */
export async function setOperatorRole(deps: AuthDeps, userId: string, operator: boolean, meta: RequestMeta): Promise<boolean> {
  return deps.store.transaction(async (store) => {
    const current = await store.users.readPlatformRole(userId);
    if ((current === "operator") === operator) return false;
    await store.users.setPlatformRole(userId, operator ? "operator" : null, deps.clock.now());
    if (!operator) await revokeAllUserSessions({ store, clock: deps.clock }, userId, meta, "operator_role_revoked", { scope: "sign_ins" });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: operator ? "operator.role_granted" : "operator.role_revoked", actorUserId: null, target: userId });
    return true;
  });
}

/** Operators: every account, oldest first. */
export async function listUsers(deps: Pick<AuthDeps, "store">): Promise<User[]> {
  return deps.store.users.list();
}
