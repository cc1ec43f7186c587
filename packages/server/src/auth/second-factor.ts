/**
 * Two-step verification: a TOTP authenticator app (RFC 6238, `totp.ts`) and ten one-time backup
 * codes. Enrolment (start, then confirm with a code), the status, disabling and regenerating
 * the codes, and the check of a code that every second-factor step shares.
 *
 * The TOTP secret is stored sealed (`secret-box.ts`, AES-256-GCM with the user id as associated
 * data) and shown once, at the start of enrolment. Backup codes are stored as argon2id hashes of
 * their secret part and shown once. A TOTP code is accepted once per account: the time step it
 * matched is stored, and only a later step is accepted next, by one conditional write, so the
 * same code sent on any number of requests at once is accepted by one.
 */
import { BACKUP_CODE_COUNT, generateBackupCodes, normalizeBackupCode } from "./backup-codes.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { checkReauthentication, type ReauthenticationFailure } from "./reauthentication.js";
import { fail, ok, type Result } from "./result.js";
import { openSecret, sealSecret, type SecretBoxKeys } from "./secret-box.js";
import { revokeAllUserSessions } from "./sessions.js";
import { encodeBase32, generateTotpSecret, matchTotp, otpauthUri } from "./totp.js";
import type { AuthStore } from "./types.js";

/** A started enrolment lasts 10 minutes and allows 5 wrong codes. */
export const TOTP_ENROLLMENT_MS = 10 * 60_000;
export const TOTP_ENROLLMENT_ATTEMPTS = 5;

export type SecondFactorMethod = "totp" | "backup_code";

/** What the server needs for TOTP: the keys secrets are sealed under, and the issuer apps show. */
export interface TotpSettings {
  keys: SecretBoxKeys;
  issuer: string;
}

export interface TotpFactor {
  userId: string;
  secretSealed: string;
  /** `null` while the enrolment waits for its first code. */
  confirmedAt: number | null;
  enrollmentExpiresAt: number | null;
  enrollmentAttempts: number;
  /** The latest time step accepted; -1 before any. */
  lastUsedStep: number;
  createdAt: number;
}

export interface BackupCodeRecord {
  userId: string;
  /** The code's first four characters: names it, not secret. */
  codeId: string;
  /** argon2id of the other twelve. */
  secretHash: string;
  usedAt: number | null;
  createdAt: number;
}

export interface SecondFactorStore {
  findFactor(userId: string): Promise<TotpFactor | null>;
  /** Whether the user has a confirmed factor: what every sign-in asks. */
  isEnabled(userId: string): Promise<boolean>;
  /**
   * Starts (or restarts, with a new secret) an enrolment; `already_enabled`, writing nothing,
   * when a confirmed factor exists.
   */
  upsertPending(factor: { userId: string; secretSealed: string; enrollmentExpiresAt: number; createdAt: number }): Promise<"ok" | "already_enabled">;
  /** Spends one try of a live pending enrolment with tries left, and returns it; `null` otherwise. */
  spendEnrollmentAttempt(userId: string, now: number, maxAttempts: number): Promise<TotpFactor | null>;
  /** Confirms a pending enrolment, recording `step` as used; `false` when it was not pending. */
  confirm(userId: string, step: number, now: number): Promise<boolean>;
  /** Records `step` as used unless a step at or after it was: `false` means the code was spent. */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Replaces the sealed secret (after a key rotation). */
  resealSecret(userId: string, secretSealed: string): Promise<void>;
  /** Deletes the factor and the backup codes; `false` when there was no factor. */
  deleteFactor(userId: string): Promise<boolean>;
  replaceBackupCodes(userId: string, codes: BackupCodeRecord[]): Promise<void>;
  findUnusedBackupCode(userId: string, codeId: string): Promise<BackupCodeRecord | null>;
  /** Marks an unused code used; `false` when it already was (a concurrent use won). */
  useBackupCode(userId: string, codeId: string, now: number): Promise<boolean>;
  countUnusedBackupCodes(userId: string): Promise<number>;
  /** Deletes pending enrolments that ran out. */
  deleteExpiredEnrollments(now: number): Promise<number>;
}

/**
 * Whether a code has its method's shape: six digits (spaces allowed) from the app, or a backup
 * code's sixteen characters. A code of another shape is refused before any try is spent.
 */
export function isWellFormedSecondFactorCode(method: SecondFactorMethod, code: string): boolean {
  return method === "totp" ? /^\d{6}$/.test(code.replace(/\s+/g, "")) : normalizeBackupCode(code) !== null;
}

/** What a right code matched; `markSecondFactorUsed` spends it. */
export type SecondFactorMatch = { method: "totp"; step: number } | { method: "backup_code"; codeId: string };

export interface SecondFactorStatus {
  enabled: boolean;
  enabledAt: number | null;
  backupCodesRemaining: number | null;
  enrollmentPending: boolean;
}

export async function getSecondFactorStatus(deps: Pick<AuthDeps, "store" | "clock">, userId: string): Promise<SecondFactorStatus> {
  const factor = await deps.store.secondFactors.findFactor(userId);
  if (!factor) return { enabled: false, enabledAt: null, backupCodesRemaining: null, enrollmentPending: false };
  if (factor.confirmedAt === null) {
    const live = factor.enrollmentExpiresAt !== null && factor.enrollmentExpiresAt > deps.clock.now() && factor.enrollmentAttempts < TOTP_ENROLLMENT_ATTEMPTS;
    return { enabled: false, enabledAt: null, backupCodesRemaining: null, enrollmentPending: live };
  }
  return {
    enabled: true,
    enabledAt: factor.confirmedAt,
    backupCodesRemaining: await deps.store.secondFactors.countUnusedBackupCodes(userId),
    enrollmentPending: false,
  };
}

/** The ten codes shown once, and their stored form. */
async function drawBackupCodes(deps: Pick<AuthDeps, "passwords" | "clock">, userId: string): Promise<{ shown: string[]; records: BackupCodeRecord[] }> {
  const codes = generateBackupCodes(BACKUP_CODE_COUNT);
  const now = deps.clock.now();
  const records = await Promise.all(
    codes.map(async (code) => ({ userId, codeId: code.codeId, secretHash: await deps.passwords.hash(code.secret), usedAt: null, createdAt: now })),
  );
  return { shown: codes.map((code) => code.display), records };
}

export type EnrollmentStartFailure = ReauthenticationFailure | "impersonation_forbidden" | "email_verification_required" | "second_factor_already_enabled";

/**
 * Starts an enrolment: a new secret, sealed and stored pending for 10 minutes, answered once as
 * base32 and as an `otpauth://` URI for a QR code. Needs a verified address (so an account
 * someone else registered for your address can never be locked with their authenticator) and
 * re-authentication.
 */
export async function startTotpEnrollment(
  deps: AuthDeps,
  caller: Authenticated,
  password: string | undefined,
  meta: RequestMeta,
): Promise<Result<EnrollmentStartFailure, { secret: string; otpauthUri: string; expiresAt: number }>> {
  if (caller.session.impersonatorUserId !== null) return fail("impersonation_forbidden");
  if (caller.user.emailVerifiedAt === null) return fail("email_verification_required");
  if (await deps.store.secondFactors.isEnabled(caller.user.id)) return fail("second_factor_already_enabled");
  const reauthenticated = await checkReauthentication(deps, caller, password, meta);
  if (!reauthenticated.ok) return reauthenticated;
  const secret = generateTotpSecret();
  const now = deps.clock.now();
  const expiresAt = now + TOTP_ENROLLMENT_MS;
  const stored = await deps.store.secondFactors.upsertPending({
    userId: caller.user.id,
    secretSealed: sealSecret(deps.totp.keys, secret, caller.user.id),
    enrollmentExpiresAt: expiresAt,
    createdAt: now,
  });
  if (stored === "already_enabled") return fail("second_factor_already_enabled");
  await recordAuditEvent(deps, meta, { action: "auth.second_factor.enrollment_started", target: caller.user.id });
  const base32 = encodeBase32(secret);
  return ok({ secret: base32, otpauthUri: otpauthUri(deps.totp.issuer, caller.user.email, base32), expiresAt });
}

/**
 * Confirms an enrolment with a code from the app: two-step verification is on, ten backup codes
 * are answered once, this session counts as having passed it, and (unless asked not to) every
 * other sign-in of the account is signed out. The confirming code counts as used.
 */
export async function confirmTotpEnrollment(
  deps: AuthDeps,
  caller: Authenticated,
  input: { code: string; revokeOtherSessions: boolean },
  meta: RequestMeta,
): Promise<
  Result<
    "impersonation_forbidden" | "second_factor_enrollment_missing" | "second_factor_already_enabled" | "second_factor_invalid" | "second_factor_malformed",
    { backupCodes: string[]; otherSessionsRevoked: number }
  >
> {
  if (caller.session.impersonatorUserId !== null) return fail("impersonation_forbidden");
  if (!isWellFormedSecondFactorCode("totp", input.code)) return fail("second_factor_malformed");
  const userId = caller.user.id;
  const factor = await deps.store.secondFactors.spendEnrollmentAttempt(userId, deps.clock.now(), TOTP_ENROLLMENT_ATTEMPTS);
  if (!factor) return fail((await deps.store.secondFactors.isEnabled(userId)) ? "second_factor_already_enabled" : "second_factor_enrollment_missing");
  const key = openTotpSecret(deps, factor);
  const step = matchTotp(key, input.code.replace(/\s+/g, ""), deps.clock.now(), -1);
  if (step === null) {
    await recordAuditEvent(deps, meta, { action: "auth.second_factor.enrollment_failed", target: userId, detail: { attempt: factor.enrollmentAttempts } });
    return fail("second_factor_invalid");
  }
  const { shown, records } = await drawBackupCodes(deps, userId);
  const outcome = await deps.store.transaction(async (store) => {
    const now = deps.clock.now();
    if (!(await store.secondFactors.confirm(userId, step, now))) return null;
    await store.secondFactors.replaceBackupCodes(userId, records);
    await store.sessions.markSecondFactorVerified(caller.session.id, now);
    const revoked = input.revokeOtherSessions
      ? await revokeAllUserSessions({ store, clock: deps.clock }, userId, meta, "second_factor_enabled", { scope: "sign_ins", exceptSessionId: caller.session.id })
      : 0;
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "auth.second_factor.enabled", target: userId, detail: { other_sessions_revoked: revoked } });
    return revoked;
  });
  if (outcome === null) return fail("second_factor_already_enabled");
  await deps.notifier.sendSecondFactorChanged(caller.user.email, "enabled");
  return ok({ backupCodes: shown, otherSessionsRevoked: outcome });
}

/** The TOTP key of a factor; a secret sealed under the previous server key is sealed again under the current one. */
function openTotpSecret(deps: Pick<AuthDeps, "totp" | "store">, factor: TotpFactor): Buffer {
  const opened = openSecret(deps.totp.keys, factor.secretSealed, factor.userId);
  if (opened.sealedWithPrevious) {
    // Best effort: the next use tries again if this write is lost.
    void deps.store.secondFactors.resealSecret(factor.userId, sealSecret(deps.totp.keys, opened.plaintext, factor.userId)).catch(() => undefined);
  }
  return opened.plaintext;
}

/**
 * Checks a code against the user's confirmed factor, without writing. `replayed` for a TOTP code
 * of a step already used (the caller treats it as wrong, and it is audited apart). `null`: wrong,
 * malformed, or no factor. A backup code that matches no unused code costs the same hash as one
 * that does.
 */
export async function checkSecondFactorCode(
  deps: Pick<AuthDeps, "store" | "clock" | "passwords" | "totp">,
  userId: string,
  method: SecondFactorMethod,
  code: string,
): Promise<SecondFactorMatch | "replayed" | null> {
  if (method === "totp") {
    const factor = await deps.store.secondFactors.findFactor(userId);
    if (!factor || factor.confirmedAt === null) return null;
    const key = openTotpSecret(deps, factor);
    const compact = code.replace(/\s+/g, "");
    const now = deps.clock.now();
    const step = matchTotp(key, compact, now, factor.lastUsedStep);
    if (step !== null) return { method: "totp", step };
    return matchTotp(key, compact, now, -1) !== null ? "replayed" : null;
  }
  const parsed = normalizeBackupCode(code);
  const record = parsed ? await deps.store.secondFactors.findUnusedBackupCode(userId, parsed.codeId) : null;
  if (!parsed || !record) {
    await deps.passwords.verifyDummy(parsed?.secret ?? code.slice(0, 64));
    return null;
  }
  return (await deps.passwords.verify(record.secretHash, parsed.secret)) ? { method: "backup_code", codeId: record.codeId } : null;
}

/** Spends what a right code matched, in the caller's transaction: `false` when a concurrent request spent it first. */
export async function markSecondFactorUsed(store: AuthStore, userId: string, match: SecondFactorMatch, now: number): Promise<boolean> {
  return match.method === "totp" ? store.secondFactors.useStep(userId, match.step) : store.secondFactors.useBackupCode(userId, match.codeId, now);
}

/** A failure budget per account (the second-factor failure limiter): `consume` before a check, `reset` after a success. */
export interface AttemptBudget {
  consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  reset(key: string): Promise<void>;
}

export type ManageFailure =
  | ReauthenticationFailure
  | "impersonation_forbidden"
  | "second_factor_not_enabled"
  | "second_factor_invalid"
  | "second_factor_malformed"
  | "rate_limited";

/** A `Result` whose `rate_limited` failure says when to try again. */
export type SecondFactorChangeOutcome<Value> = { ok: true; value: Value } | { ok: false; failure: ManageFailure; retryAfterSeconds?: number };

/** What disabling and regenerating share: the factor is on, the person re-authenticates, and a code proves the device. */
async function proveSecondFactor(
  deps: AuthDeps,
  caller: Authenticated,
  input: { method: SecondFactorMethod; code: string; password?: string | undefined },
  budget: AttemptBudget,
  meta: RequestMeta,
): Promise<SecondFactorChangeOutcome<SecondFactorMatch>> {
  if (caller.session.impersonatorUserId !== null) return fail("impersonation_forbidden");
  if (!(await deps.store.secondFactors.isEnabled(caller.user.id))) return fail("second_factor_not_enabled");
  if (!isWellFormedSecondFactorCode(input.method, input.code)) return fail("second_factor_malformed");
  const reauthenticated = await checkReauthentication(deps, caller, input.password, meta);
  if (!reauthenticated.ok) return reauthenticated;
  const spent = await budget.consume(caller.user.id);
  if (!spent.allowed) return { ...fail("rate_limited"), retryAfterSeconds: spent.retryAfterSeconds };
  const match = await checkSecondFactorCode(deps, caller.user.id, input.method, input.code);
  if (match === null || match === "replayed") {
    const replayed = match === "replayed";
    await recordAuditEvent(deps, meta, {
      action: replayed ? "auth.second_factor.replayed" : "auth.second_factor.failed",
      target: caller.user.id,
      detail: { method: input.method },
    });
    return fail("second_factor_invalid");
  }
  return ok(match);
}

/**
 * Turns two-step verification off: the factor and the backup codes are deleted and every other
 * sign-in of the account is signed out; a notice is mailed.
 */
export async function disableSecondFactor(
  deps: AuthDeps,
  caller: Authenticated,
  input: { method: SecondFactorMethod; code: string; password?: string | undefined },
  budget: AttemptBudget,
  meta: RequestMeta,
): Promise<SecondFactorChangeOutcome<{ otherSessionsRevoked: number }>> {
  const proven = await proveSecondFactor(deps, caller, input, budget, meta);
  if (!proven.ok) return proven;
  const userId = caller.user.id;
  const revoked = await deps.store.transaction(async (store) => {
    if (!(await markSecondFactorUsed(store, userId, proven.value, deps.clock.now()))) return null;
    if (!(await store.secondFactors.deleteFactor(userId))) return null;
    const count = await revokeAllUserSessions({ store, clock: deps.clock }, userId, meta, "second_factor_disabled", {
      scope: "sign_ins",
      exceptSessionId: caller.session.id,
    });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "auth.second_factor.disabled", target: userId });
    return count;
  });
  if (revoked === null) return fail("second_factor_invalid");
  await budget.reset(userId);
  await deps.notifier.sendSecondFactorChanged(caller.user.email, "disabled");
  return ok({ otherSessionsRevoked: revoked });
}

/** Replaces the backup codes with ten new ones, answered once; the old ones stop working. */
export async function regenerateBackupCodes(
  deps: AuthDeps,
  caller: Authenticated,
  input: { method: SecondFactorMethod; code: string; password?: string | undefined },
  budget: AttemptBudget,
  meta: RequestMeta,
): Promise<SecondFactorChangeOutcome<{ backupCodes: string[] }>> {
  const proven = await proveSecondFactor(deps, caller, input, budget, meta);
  if (!proven.ok) return proven;
  const userId = caller.user.id;
  const { shown, records } = await drawBackupCodes(deps, userId);
  const done = await deps.store.transaction(async (store) => {
    if (!(await markSecondFactorUsed(store, userId, proven.value, deps.clock.now()))) return false;
    await store.secondFactors.replaceBackupCodes(userId, records);
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "auth.second_factor.backup_codes_regenerated", target: userId });
    return true;
  });
  if (!done) return fail("second_factor_invalid");
  await budget.reset(userId);
  await deps.notifier.sendSecondFactorChanged(caller.user.email, "backup_codes_regenerated");
  return ok({ backupCodes: shown });
}

/**
 * Operators: removes a person's two-step verification (a lost device and lost codes; the
 * operator proves who they are outside Harmont) and signs out everything of the account.
 */
export async function resetSecondFactorAsOperator(deps: AuthDeps, userId: string, email: string, meta: RequestMeta): Promise<boolean> {
  const removed = await deps.store.transaction(async (store) => {
    if (!(await store.secondFactors.deleteFactor(userId))) return false;
    await revokeAllUserSessions({ store, clock: deps.clock }, userId, meta, "second_factor_reset_by_operator", { scope: "everything" });
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "operator.second_factor_reset", actorUserId: null, target: userId });
    return true;
  });
  if (removed) await deps.notifier.sendSecondFactorChanged(email, "reset_by_operator");
  return removed;
}
