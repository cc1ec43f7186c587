/**
 * The second step of a sign-in with two-step verification. A right first factor on such an
 * account makes no session: it makes a login challenge, whose `hch_` token (256 bits, stored as
 * its SHA-256, 5 minutes) is not a session token and authenticates nothing. The challenge ends in
 * a session once, by one of three ways:
 *
 * - a TOTP code or a backup code (`completeSecondFactor`), at most 5 tries per challenge;
 * - an approval from another signed-in device of the same account that passed two-step
 *   verification itself: the waiting device asks (`requestLoginApproval`) and shows a number, the
 *   signed-in device types that number to approve or rejects (`decideLoginApproval`), and the
 *   waiting device, polling with its token (`readLoginApprovalStatus`), gets the session once.
 *
 * Every ending is one conditional write (`DELETE … RETURNING` of the challenge) in the
 * transaction that makes the session, so a challenge yields at most one session.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import type { AuditAction } from "./audit-actions.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, inTransactionUnlessFailed, ok, type Result } from "./result.js";
import { checkSecondFactorCode, isWellFormedSecondFactorCode, markSecondFactorUsed, type AttemptBudget, type SecondFactorMethod } from "./second-factor.js";
import { keepAccountOnSignIn } from "./account.js";
import { sessionExpiresAt, describeUserAgent } from "./sessions.js";
import { openSignedInSession, type FirstFactor, type SignedIn } from "./sign-in.js";
import { generateId, generatePrefixedSecret, hashSecret, isWellFormedSecret } from "./tokens.js";
import type { User } from "./users.js";

export const LOGIN_CHALLENGE_PREFIX = "hch_";
/** Wrong codes one challenge allows; then the sign-in starts again from the first factor. */
export const LOGIN_CHALLENGE_ATTEMPTS = 5;
/** Challenges of one account waiting for an approval at once. */
export const MAX_AWAITING_APPROVALS = 3;
/** Seconds between the waiting device's status polls. */
export const APPROVAL_POLL_INTERVAL_S = 2;

export type LoginChallengeState = "pending" | "awaiting_approval" | "approved" | "rejected";
export type SecondFactorOption = SecondFactorMethod | "device_approval";

export interface LoginChallenge {
  /** `lch_…`: public; names the challenge to approvers and in the audit log. */
  id: string;
  userId: string;
  firstFactor: FirstFactor;
  attempts: number;
  state: LoginChallengeState;
  /** Two digits shown on the waiting device only; `null` until an approval is asked for. */
  approvalNumber: string | null;
  approvalRequestedAt: number | null;
  decidedBySessionId: string | null;
  decidedAt: number | null;
  /** Of the device signing in, shown to approvers. */
  ip: string | null;
  userAgent: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface LoginChallengeStore {
  insert(challenge: LoginChallenge & { tokenHash: string }): Promise<void>;
  /** Spends one try of a live, undecided challenge with tries left; `null` otherwise. */
  spendAttempt(tokenHash: string, now: number, maxAttempts: number): Promise<LoginChallenge | null>;
  /** The live challenge; reads only (the waiting device's polls never write). */
  findLiveByTokenHash(tokenHash: string, now: number): Promise<LoginChallenge | null>;
  /** Deletes and returns the live challenge if it is in one of `states`: of concurrent consumes, one gets it. */
  consume(tokenHash: string, states: readonly LoginChallengeState[], now: number): Promise<LoginChallenge | null>;
  /** `pending` → `awaiting_approval` with its number; `false` when it was not pending. */
  requestApproval(tokenHash: string, approvalNumber: string, now: number): Promise<boolean>;
  /** `awaiting_approval` → `to`, for the challenge's own user only; `false` when someone decided first. */
  decide(id: string, userId: string, to: "approved" | "rejected", bySessionId: string, now: number): Promise<boolean>;
  findLiveById(id: string, now: number): Promise<LoginChallenge | null>;
  listAwaiting(userId: string, now: number): Promise<LoginChallenge[]>;
  deleteForUser(userId: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

/** What the 202 answer of a sign-in carries. */
export interface IssuedLoginChallenge {
  token: string;
  id: string;
  expiresAt: number;
  methods: SecondFactorOption[];
}

/**
 * The sessions of a user that may approve a sign-in: live sign-ins that passed two-step
 * verification themselves, made before the challenge, and not a support session.
 */
async function hasEligibleApprover(deps: Pick<AuthDeps, "store" | "clock">, userId: string, before: number): Promise<boolean> {
  const now = deps.clock.now();
  const sessions = await deps.store.sessions.listByUser(userId);
  return sessions.some(
    (session) =>
      session.kind !== "api" &&
      session.impersonatorUserId === null &&
      session.mfaVerifiedAt !== null &&
      session.createdAt <= before &&
      now < sessionExpiresAt(session),
  );
}

/** Called by `completeSignIn` for an account with two-step verification. */
export async function issueLoginChallenge(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes">,
  user: User,
  firstFactor: FirstFactor,
  meta: RequestMeta,
): Promise<IssuedLoginChallenge> {
  const token = generatePrefixedSecret(LOGIN_CHALLENGE_PREFIX);
  const now = deps.clock.now();
  const challenge: LoginChallenge = {
    id: generateId("lch"),
    userId: user.id,
    firstFactor,
    attempts: 0,
    state: "pending",
    approvalNumber: null,
    approvalRequestedAt: null,
    decidedBySessionId: null,
    decidedAt: null,
    ip: meta.ip,
    userAgent: meta.userAgent ? meta.userAgent.slice(0, 512) : null,
    createdAt: now,
    expiresAt: now + deps.lifetimes.loginChallengeMs,
  };
  await deps.store.loginChallenges.insert({ ...challenge, tokenHash: hashSecret(token) });
  await recordAuditEvent(deps, meta, {
    action: "auth.second_factor.required",
    actorUserId: user.id,
    target: challenge.id,
    detail: { first_factor: firstFactor },
  });
  const methods: SecondFactorOption[] = ["totp", "backup_code"];
  if (await hasEligibleApprover(deps, user.id, now)) methods.push("device_approval");
  return { token, id: challenge.id, expiresAt: challenge.expiresAt, methods };
}

/** The audit action a sign-in's success is recorded under, by its first factor. */
const successAction: Record<FirstFactor, AuditAction> = { password: "auth.login.succeeded", email_code: "auth.email_code.succeeded" };

/** The per-account budgets of the second step: failures across challenges, and the notice of an exhausted one. */
export interface SecondFactorBudgets {
  failures: AttemptBudget;
  /** Spent before the "someone has your password" mail, so it goes at most once an hour. */
  exhaustedNotice: AttemptBudget;
}

export type SecondFactorStepFailure = "login_challenge_invalid" | "second_factor_invalid" | "second_factor_malformed" | "rate_limited";

/**
 * Finishes a challenge with a TOTP or backup code. The try is counted before the code is
 * checked (its own write, kept whatever follows; a code of the wrong shape is refused before
 * it), then the account's failure budget; a right
 * code is spent, the challenge consumed and the session made in one transaction, rolled back
 * whole if a concurrent request spent the code or the challenge first.
 */
export async function completeSecondFactor(
  deps: AuthDeps,
  input: { challengeToken: string; method: SecondFactorMethod; code: string },
  budgets: SecondFactorBudgets,
  meta: RequestMeta,
): Promise<{ ok: true; value: SignedIn } | { ok: false; failure: SecondFactorStepFailure; retryAfterSeconds?: number }> {
  if (!isWellFormedSecret(LOGIN_CHALLENGE_PREFIX, input.challengeToken)) return fail("login_challenge_invalid");
  // A typo of the wrong shape costs no try.
  if (!isWellFormedSecondFactorCode(input.method, input.code)) return fail("second_factor_malformed");
  const tokenHash = hashSecret(input.challengeToken);
  const challenge = await deps.store.loginChallenges.spendAttempt(tokenHash, deps.clock.now(), LOGIN_CHALLENGE_ATTEMPTS);
  if (!challenge) return fail("login_challenge_invalid");
  const spent = await budgets.failures.consume(challenge.userId);
  if (!spent.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: spent.retryAfterSeconds };

  const match = await checkSecondFactorCode(deps, challenge.userId, input.method, input.code);
  if (match === null || match === "replayed") {
    const replayed = match === "replayed";
    await recordAuditEvent(deps, meta, {
      action: replayed ? "auth.second_factor.replayed" : "auth.second_factor.failed",
      actorUserId: challenge.userId,
      target: challenge.id,
      detail: { method: input.method, attempt: challenge.attempts },
    });
    if (challenge.attempts >= LOGIN_CHALLENGE_ATTEMPTS) await noticeExhaustedChallenge(deps, challenge, budgets.exhaustedNotice, meta);
    return fail("second_factor_invalid");
  }

  const user = await deps.store.users.findById(challenge.userId);
  if (!user) return fail("login_challenge_invalid");
  await keepAccountOnSignIn(deps, user, meta);
  const signedIn = await inTransactionUnlessFailed(deps.store, async (store): Promise<Result<"login_challenge_invalid" | "second_factor_invalid", SignedIn>> => {
    const now = deps.clock.now();
    const consumed = await store.loginChallenges.consume(tokenHash, ["pending", "awaiting_approval"], now);
    if (!consumed) return fail("login_challenge_invalid");
    if (!(await markSecondFactorUsed(store, consumed.userId, match, now))) return fail("second_factor_invalid");
    const opened = await openSignedInSession(
      { ...deps, store },
      {
        user,
        authenticatedAt: consumed.createdAt,
        mfaVerifiedAt: now,
        auditAction: successAction[consumed.firstFactor],
        detail: { first_factor: consumed.firstFactor, second_factor: input.method, challenge_id: consumed.id },
        meta,
      },
    );
    return opened.ok ? opened : fail("login_challenge_invalid");
  });
  if (!signedIn.ok) return signedIn;
  await budgets.failures.reset(challenge.userId);
  if (match.method === "backup_code") {
    const remaining = await deps.store.secondFactors.countUnusedBackupCodes(challenge.userId);
    await recordAuditEvent(deps, meta, { action: "auth.second_factor.backup_code_used", actorUserId: challenge.userId, target: challenge.userId, detail: { remaining } });
    await deps.notifier.sendBackupCodeUsed(user.email, remaining);
  }
  return ok(signedIn.value);
}

/** The fifth wrong code: audited, and the person mailed (at most once an hour) that someone knows their first factor. */
async function noticeExhaustedChallenge(deps: AuthDeps, challenge: LoginChallenge, notice: AttemptBudget, meta: RequestMeta): Promise<void> {
  await recordAuditEvent(deps, meta, { action: "auth.second_factor.challenge_exhausted", actorUserId: challenge.userId, target: challenge.id });
  if (!(await notice.consume(challenge.userId)).allowed) return;
  const user = await deps.store.users.findById(challenge.userId);
  if (user) await deps.notifier.sendSecondFactorFailures(user.email, { ip: challenge.ip, device: describeUserAgent(challenge.userAgent) });
}

export type ApprovalRequestFailure = "login_challenge_invalid" | "login_approval_unavailable" | "rate_limited";

/** The per-account budgets of approvals: requests an hour, and the hour of quiet after "This wasn't me". */
export interface ApprovalBudgets {
  requests: AttemptBudget;
  /** Spent by a report; checked (never spent) by a request. */
  reported: AttemptBudget & { isBlocked(key: string): Promise<boolean> };
}

/**
 * Asks the account's signed-in devices to approve this sign-in, and answers the number to show
 * (idempotent: asking again answers the same number). Refused when no eligible device exists, 3
 * approvals already wait, or a request was reported in the last hour; the code paths stay open.
 */
export async function requestLoginApproval(
  deps: AuthDeps,
  challengeToken: string,
  budgets: ApprovalBudgets,
  meta: RequestMeta,
): Promise<{ ok: true; value: { approvalNumber: string; expiresAt: number } } | { ok: false; failure: ApprovalRequestFailure; retryAfterSeconds?: number }> {
  if (!isWellFormedSecret(LOGIN_CHALLENGE_PREFIX, challengeToken)) return fail("login_challenge_invalid");
  const tokenHash = hashSecret(challengeToken);
  const now = deps.clock.now();
  const challenge = await deps.store.loginChallenges.findLiveByTokenHash(tokenHash, now);
  if (!challenge || challenge.state === "approved" || challenge.state === "rejected") return fail("login_challenge_invalid");
  if (challenge.state === "awaiting_approval" && challenge.approvalNumber !== null) return ok({ approvalNumber: challenge.approvalNumber, expiresAt: challenge.expiresAt });
  if (await budgets.reported.isBlocked(challenge.userId)) return fail("login_approval_unavailable");
  if (!(await hasEligibleApprover(deps, challenge.userId, challenge.createdAt))) return fail("login_approval_unavailable");
  if ((await deps.store.loginChallenges.listAwaiting(challenge.userId, now)).length >= MAX_AWAITING_APPROVALS) return fail("login_approval_unavailable");
  const spent = await budgets.requests.consume(challenge.userId);
  if (!spent.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: spent.retryAfterSeconds };
  const approvalNumber = String(randomInt(10, 100));
  if (!(await deps.store.loginChallenges.requestApproval(tokenHash, approvalNumber, now))) {
    // A concurrent request won: answer its number.
    const current = await deps.store.loginChallenges.findLiveByTokenHash(tokenHash, now);
    if (current?.state === "awaiting_approval" && current.approvalNumber !== null) return ok({ approvalNumber: current.approvalNumber, expiresAt: current.expiresAt });
    return fail("login_challenge_invalid");
  }
  await recordAuditEvent(deps, meta, { action: "auth.login.approval_requested", actorUserId: challenge.userId, target: challenge.id });
  return ok({ approvalNumber, expiresAt: challenge.expiresAt });
}

export type ApprovalStatus = { status: "pending"; expiresAt: number } | { status: "approved"; signedIn: SignedIn };

/**
 * The waiting device's poll. A read while nobody has decided; then, once, the session (approved)
 * or the refusal (rejected), each by consuming the challenge.
 */
export async function readLoginApprovalStatus(
  deps: AuthDeps,
  challengeToken: string,
  meta: RequestMeta,
): Promise<Result<"login_challenge_invalid" | "login_approval_rejected", ApprovalStatus>> {
  if (!isWellFormedSecret(LOGIN_CHALLENGE_PREFIX, challengeToken)) return fail("login_challenge_invalid");
  const tokenHash = hashSecret(challengeToken);
  const challenge = await deps.store.loginChallenges.findLiveByTokenHash(tokenHash, deps.clock.now());
  if (!challenge) return fail("login_challenge_invalid");
  if (challenge.state === "pending" || challenge.state === "awaiting_approval") return ok({ status: "pending", expiresAt: challenge.expiresAt });
  if (challenge.state === "rejected") {
    const consumed = await deps.store.loginChallenges.consume(tokenHash, ["rejected"], deps.clock.now());
    if (!consumed) return fail("login_challenge_invalid");
    await recordAuditEvent(deps, meta, { action: "auth.login.rejection_delivered", actorUserId: consumed.userId, target: consumed.id });
    return fail("login_approval_rejected");
  }
  const user = await deps.store.users.findById(challenge.userId);
  if (!user) return fail("login_challenge_invalid");
  await keepAccountOnSignIn(deps, user, meta);
  const signedIn = await inTransactionUnlessFailed(deps.store, async (store): Promise<Result<"login_challenge_invalid", SignedIn>> => {
    const consumed = await store.loginChallenges.consume(tokenHash, ["approved"], deps.clock.now());
    if (!consumed || consumed.decidedAt === null) return fail("login_challenge_invalid");
    const opened = await openSignedInSession(
      { ...deps, store },
      {
        user,
        authenticatedAt: consumed.createdAt,
        mfaVerifiedAt: consumed.decidedAt,
        auditAction: successAction[consumed.firstFactor],
        detail: { first_factor: consumed.firstFactor, second_factor: "device_approval", approver_session_id: consumed.decidedBySessionId, challenge_id: consumed.id },
        meta,
      },
    );
    return opened.ok ? opened : fail("login_challenge_invalid");
  });
  return signedIn.ok ? ok({ status: "approved", signedIn: signedIn.value }) : signedIn;
}

/** May this session approve sign-ins? It passed two-step verification and is nobody's support session. */
function mayApprove(caller: Authenticated): boolean {
  return caller.session.mfaVerifiedAt !== null && caller.session.impersonatorUserId === null && caller.session.kind !== "api";
}

export interface PendingApproval {
  id: string;
  requestedAt: number;
  expiresAt: number;
  device: string | null;
  ip: string | null;
  firstFactor: FirstFactor;
}

/** The sign-ins of the caller's account waiting for an approval (never their numbers). */
export async function listLoginApprovals(deps: Pick<AuthDeps, "store" | "clock">, caller: Authenticated): Promise<Result<"approver_not_verified", PendingApproval[]>> {
  if (!mayApprove(caller)) return fail("approver_not_verified");
  const awaiting = await deps.store.loginChallenges.listAwaiting(caller.user.id, deps.clock.now());
  return ok(
    awaiting.map((challenge) => ({
      id: challenge.id,
      requestedAt: challenge.approvalRequestedAt ?? challenge.createdAt,
      expiresAt: challenge.expiresAt,
      device: describeUserAgent(challenge.userAgent),
      ip: challenge.ip,
      firstFactor: challenge.firstFactor,
    })),
  );
}

export type ApprovalDecision = { approve: true; number: string } | { approve: false; report: boolean };

/**
 * Approves (with the number the waiting device shows) or rejects a waiting sign-in of the
 * caller's own account. A wrong number rejects it at once. Of concurrent decisions, the first
 * conditional write wins and the others answer `login_approval_already_decided`.
 */
export async function decideLoginApproval(
  deps: AuthDeps,
  caller: Authenticated,
  challengeId: string,
  decision: ApprovalDecision,
  budgets: Pick<ApprovalBudgets, "reported">,
  meta: RequestMeta,
): Promise<Result<"approver_not_verified" | "not_found" | "login_approval_already_decided" | "approval_number_mismatch">> {
  if (!mayApprove(caller)) return fail("approver_not_verified");
  const now = deps.clock.now();
  const challenge = /^lch_[A-Za-z0-9_-]{20}$/.test(challengeId) ? await deps.store.loginChallenges.findLiveById(challengeId, now) : null;
  if (!challenge || challenge.userId !== caller.user.id) return fail("not_found");
  if (challenge.state !== "awaiting_approval" || challenge.approvalNumber === null) return fail("login_approval_already_decided");
  const numberMatches = decision.approve && sameNumber(decision.number, challenge.approvalNumber);
  const to = numberMatches ? "approved" : "rejected";
  if (!(await deps.store.loginChallenges.decide(challenge.id, caller.user.id, to, caller.session.id, now))) return fail("login_approval_already_decided");
  if (decision.approve && !numberMatches) {
    await recordAuditEvent(deps, meta, { action: "auth.login.approval_number_mismatch", target: challenge.id, detail: { approver_session_id: caller.session.id } });
    return fail("approval_number_mismatch");
  }
  if (numberMatches) {
    await recordAuditEvent(deps, meta, { action: "auth.login.approval_approved", target: challenge.id, detail: { approver_session_id: caller.session.id } });
    return ok(undefined);
  }
  const reported = !decision.approve && decision.report;
  await recordAuditEvent(deps, meta, { action: "auth.login.approval_rejected", target: challenge.id, detail: { approver_session_id: caller.session.id, reported } });
  if (reported) {
    await budgets.reported.consume(caller.user.id);
    await recordAuditEvent(deps, meta, { action: "auth.login.approval_reported", target: challenge.id });
    await deps.notifier.sendLoginReported(caller.user.email, { ip: challenge.ip, device: describeUserAgent(challenge.userAgent), at: challenge.createdAt });
  }
  return ok(undefined);
}

function sameNumber(typed: string, stored: string): boolean {
  const a = Buffer.from(typed.trim(), "utf8");
  const b = Buffer.from(stored, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
