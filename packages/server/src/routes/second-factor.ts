/**
 * Two-step verification over HTTP: the second step of a sign-in (a code, or an approval from
 * another signed-in device), the approvals a signed-in device decides, and managing the factor
 * (enrol, confirm, disable, new backup codes). Every answer that carries a secret is `no-store`;
 * no secret is ever taken from a URL.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppDeps } from "../app-deps.js";
import {
  APPROVAL_POLL_INTERVAL_S,
  completeSecondFactor,
  decideLoginApproval,
  listLoginApprovals,
  readLoginApprovalStatus,
  requestLoginApproval,
  type ApprovalBudgets,
  type SecondFactorBudgets,
} from "../auth/login-challenges.js";
import {
  confirmTotpEnrollment,
  disableSecondFactor,
  getSecondFactorStatus,
  regenerateBackupCodes,
  startTotpEnrollment,
  type AttemptBudget,
  type ManageFailure,
  type SecondFactorChangeOutcome,
  type SecondFactorMethod,
} from "../auth/second-factor.js";
import type { AuthDeps, Authenticated, RequestMeta } from "../auth/context.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { bearerSecurity, errorResponses, toIsoTime } from "./schemas.js";
import { SignedInBody, respondSignedIn, sessionDelivery } from "./signed-in.js";

const challengeToken = z.string().max(128).openapi({ description: "The `hch_…` token of the 202 sign-in answer.", example: "hch_Jx2bGv0Qe8r5s1tWc9kLmNpAa3zYdFhUiO4o6u7X_yw" });
const method = z.enum(["totp", "backup_code"]).openapi({ description: "`totp`: a 6-digit code from the authenticator app; `backup_code`: one of the ten backup codes." });
const code = z.string().max(64).openapi({ example: "492039" });
const password = z.string().max(1024).optional().openapi({ description: "The account's password. An account without one needs a session made in the last 15 minutes instead." });

const SecondFactorRequest = z.object({ challenge_token: challengeToken, method, code, session: sessionDelivery }).openapi("SecondFactorRequest");
const ApprovalRequestRequest = z.object({ challenge_token: challengeToken }).openapi("LoginApprovalRequest");
const ApprovalRequested = z
  .object({
    approval_number: z.string().openapi({ description: "Show it on this device: the approving device must type it.", example: "47" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    interval: z.number().int().openapi({ description: "Seconds between status polls.", example: APPROVAL_POLL_INTERVAL_S }),
  })
  .openapi("LoginApprovalRequested");
const ApprovalStatusRequest = z.object({ challenge_token: challengeToken, session: sessionDelivery }).openapi("LoginApprovalStatusRequest");
const ApprovalStatus = z
  .object({
    status: z.enum(["pending", "approved"]).openapi({ description: "`pending`: poll again after `interval` seconds. `approved`: signed in (answered once)." }),
    expires_at: z.string().optional().openapi({ format: "date-time", description: "While pending: when the sign-in gives up." }),
    interval: z.number().int().optional().openapi({ description: "While pending: seconds before the next poll." }),
    token: z.string().optional().openapi({ description: "Once approved, with token delivery: the new session token." }),
    user: SignedInBody.shape.user.optional(),
  })
  .openapi("LoginApprovalStatus");

const PendingApproval = z
  .object({
    id: z.string().openapi({ example: "lch_Q3xv8Kd0Wm2nR5tY7bZ1" }),
    requested_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    device: z.string().nullable().openapi({ example: "Firefox on Linux" }),
    ip: z.string().nullable().openapi({ example: "203.0.113.7" }),
    first_factor: z.enum(["password", "email_code"]),
  })
  .openapi("PendingLoginApproval", { description: "A sign-in of your account waiting for an approval. The number to type is shown only on that device." });
const PendingApprovals = z.object({ approvals: z.array(PendingApproval) }).openapi("PendingLoginApprovals");
const ApprovalId = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "lch_Q3xv8Kd0Wm2nR5tY7bZ1" }) });
const ApproveRequest = z.object({ number: z.string().max(8).openapi({ description: "The number the signing-in device shows.", example: "47" }) }).openapi("ApproveLoginRequest");
const RejectRequest = z
  .object({ report: z.boolean().optional().openapi({ description: '"This wasn\'t me": no approvals can be asked for the account for an hour, and a notice is mailed.' }) })
  .openapi("RejectLoginRequest");

const SecondFactorStatus = z
  .object({
    enabled: z.boolean(),
    enabled_at: z.string().nullable().openapi({ format: "date-time" }),
    backup_codes_remaining: z.number().int().nullable(),
    enrollment_pending: z.boolean().openapi({ description: "An enrolment was started and waits for its first code." }),
  })
  .openapi("SecondFactorStatus");
const EnrollmentStart = z.object({ password }).openapi("TotpEnrollmentRequest");
const EnrollmentStarted = z
  .object({
    secret: z.string().openapi({ description: "The base32 secret, for typing into an app; shown this once.", example: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }),
    otpauth_uri: z.string().openapi({ description: "The same secret as an `otpauth://` URI, for a QR code." }),
    expires_at: z.string().openapi({ format: "date-time", description: "Confirm with a code before then (10 minutes)." }),
  })
  .openapi("TotpEnrollment");
const EnrollmentConfirm = z
  .object({
    code,
    revoke_other_sessions: z.boolean().optional().openapi({ description: "Sign out every other session of the account (default true)." }),
  })
  .openapi("TotpEnrollmentConfirmRequest");
const BackupCodes = z
  .object({
    backup_codes: z.array(z.string()).openapi({ description: "Ten one-time codes, shown this once.", example: ["K7P2-QR9M-X3WZ-4NTV"] }),
    other_sessions_revoked: z.number().int().optional(),
  })
  .openapi("BackupCodes");
const ProveSecondFactor = z.object({ method, code, password }).openapi("SecondFactorProofRequest");

/** A code of the wrong shape: refused as invalid, saying what a code looks like (and no try was spent). */
export const malformedCodeError = () =>
  new ApiError("second_factor_invalid", "A code from the app has 6 digits; a backup code has 16 letters and digits, like K7P2-QR9M-X3WZ-4NTV.");

/** A challenge token belongs in a body; a URL carrying one is refused before anything reads it. */
const refuseTokenInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (new URL(c.req.url).searchParams.has("challenge_token")) {
    throw new ApiError("invalid_request", "The challenge token goes in the JSON body, never in the URL.");
  }
  await next();
};

const manageFailureErrors: Record<Exclude<ManageFailure, "rate_limited">, () => ApiError> = {
  invalid_credentials: () => new ApiError("invalid_credentials", "The password is incorrect."),
  reauthentication_required: () => new ApiError("reauthentication_required"),
  impersonation_forbidden: () => new ApiError("impersonation_forbidden"),
  second_factor_not_enabled: () => new ApiError("second_factor_not_enabled"),
  second_factor_invalid: () => new ApiError("second_factor_invalid"),
  second_factor_malformed: malformedCodeError,
};

export function registerSecondFactorRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;
  const stepBudgets: SecondFactorBudgets = { failures: limits.secondFactorFailuresPerAccount, exhaustedNotice: limits.secondFactorFailureNotice };
  const approvalBudgets: ApprovalBudgets = { requests: limits.approvalRequestsPerAccount, reported: limits.approvalReportCooldown };
  const publicStep = (path: string, ipLimiter = limits.loginPerIp) => [
    refuseTokenInUrl,
    ...routeGuards(deps.guard, { path, policy: routePolicies.public, jsonBody: true, ipLimiter }),
  ];

  const verify = createRoute({
    method: "post",
    path: "/api/v0/auth/login/second-factor",
    operationId: "verifySecondFactor",
    tags: ["Two-step verification"],
    summary: "Finish a sign-in with a two-step code",
    description:
      "Finishes a sign-in that answered 202 with a code from the authenticator app or a backup code. A TOTP code is accepted once; each backup code works once. Five wrong codes end the challenge (sign in again); failures are also limited per account across sign-ins.",
    request: { body: { required: true, content: { "application/json": { schema: SecondFactorRequest } } } },
    responses: { 200: { description: "Signed in.", content: { "application/json": { schema: SignedInBody } } }, ...errorResponses(400, 413, 415, 429, 503) },
    middleware: publicStep("/api/v0/auth/login/second-factor"),
  });
  app.openapi(verify, async (c) => {
    const body = c.req.valid("json");
    const result = await completeSecondFactor(deps.auth, { challengeToken: body.challenge_token, method: body.method, code: body.code }, stepBudgets, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "rate_limited") throw rateLimitedError(result.retryAfterSeconds ?? 60);
      if (result.failure === "second_factor_malformed") throw malformedCodeError();
      throw new ApiError(result.failure);
    }
    return c.json(respondSignedIn(c, deps, result.value, body.session), 200);
  });

  const approvalRequest = createRoute({
    method: "post",
    path: "/api/v0/auth/login/approval-request",
    operationId: "requestLoginApproval",
    tags: ["Two-step verification"],
    summary: "Ask a signed-in device to approve this sign-in",
    description:
      "Asks the account's signed-in devices that passed two-step verification to approve this sign-in, and answers the number to show here: the approving device must type it. Asking again answers the same number. Then poll `getLoginApprovalStatus`.",
    request: { body: { required: true, content: { "application/json": { schema: ApprovalRequestRequest } } } },
    responses: { 200: { description: "Waiting for an approval.", content: { "application/json": { schema: ApprovalRequested } } }, ...errorResponses(400, 409, 413, 415, 429) },
    middleware: publicStep("/api/v0/auth/login/approval-request"),
  });
  app.openapi(approvalRequest, async (c) => {
    const result = await requestLoginApproval(deps.auth, c.req.valid("json").challenge_token, approvalBudgets, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "rate_limited") throw rateLimitedError(result.retryAfterSeconds ?? 60);
      throw new ApiError(result.failure);
    }
    c.header("Cache-Control", "no-store");
    return c.json({ approval_number: result.value.approvalNumber, expires_at: toIsoTime(result.value.expiresAt), interval: APPROVAL_POLL_INTERVAL_S }, 200);
  });

  const approvalStatus = createRoute({
    method: "post",
    path: "/api/v0/auth/login/approval-status",
    operationId: "getLoginApprovalStatus",
    tags: ["Two-step verification"],
    summary: "Poll a sign-in waiting for approval",
    description:
      "`pending` until a signed-in device decides; then, once, `approved` with the session (a token, or the cookie), or 403 `login_approval_rejected`. Waiting polls write nothing.",
    request: { body: { required: true, content: { "application/json": { schema: ApprovalStatusRequest } } } },
    responses: { 200: { description: "Pending, or signed in.", content: { "application/json": { schema: ApprovalStatus } } }, ...errorResponses(400, 403, 413, 415, 429) },
    middleware: publicStep("/api/v0/auth/login/approval-status", limits.cliPerIp),
  });
  app.openapi(approvalStatus, async (c) => {
    const body = c.req.valid("json");
    const result = await readLoginApprovalStatus(deps.auth, body.challenge_token, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    if (result.value.status === "pending") {
      return c.json({ status: "pending" as const, expires_at: toIsoTime(result.value.expiresAt), interval: APPROVAL_POLL_INTERVAL_S }, 200);
    }
    return c.json({ status: "approved" as const, ...respondSignedIn(c, deps, result.value.signedIn, body.session) }, 200);
  });

  const list = createRoute({
    method: "get",
    path: "/api/v0/auth/approvals",
    operationId: "listLoginApprovals",
    tags: ["Two-step verification"],
    summary: "Sign-ins waiting for my approval",
    description: "The sign-ins of your account that asked for an approval. Only a session that passed two-step verification sees them; the number to type is shown on the signing-in device, never here.",
    security: bearerSecurity,
    responses: { 200: { description: "Waiting sign-ins, newest first.", content: { "application/json": { schema: PendingApprovals } } }, ...errorResponses(401, 403) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/approvals", policy: routePolicies.approver, jsonBody: false }),
  });
  app.openapi(list, async (c) => {
    const result = await listLoginApprovals(deps.auth, c.get("auth"));
    if (!result.ok) throw new ApiError("forbidden", "Only a session that passed two-step verification can do this.");
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        approvals: result.value.map((approval) => ({
          id: approval.id,
          requested_at: toIsoTime(approval.requestedAt),
          expires_at: toIsoTime(approval.expiresAt),
          device: approval.device,
          ip: approval.ip,
          first_factor: approval.firstFactor,
        })),
      },
      200,
    );
  });

  const decide = (decision: "approve" | "reject") =>
    createRoute({
      method: "post",
      path: `/api/v0/auth/approvals/{id}/${decision}`,
      operationId: decision === "approve" ? "approveLogin" : "rejectLogin",
      tags: ["Two-step verification"],
      summary: decision === "approve" ? "Approve a waiting sign-in" : "Refuse a waiting sign-in",
      description:
        decision === "approve"
          ? "Approves a sign-in of your account with the number its screen shows. A wrong number refuses it at once (400 `approval_number_mismatch`). The first decision stands."
          : 'Refuses a sign-in of your account. With `report` ("This wasn\'t me"), no approvals can be asked for the account for an hour and a notice is mailed.',
      security: bearerSecurity,
      request: {
        params: ApprovalId,
        body: { required: true, content: { "application/json": { schema: decision === "approve" ? ApproveRequest : RejectRequest } } },
      },
      responses: { 204: { description: decision === "approve" ? "Approved." : "Refused." }, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      middleware: routeGuards(deps.guard, { path: `/api/v0/auth/approvals/{id}/${decision}`, policy: routePolicies.approver, jsonBody: true }),
    });
  const approveRoute = decide("approve");
  app.openapi(approveRoute, async (c) => {
    const { number } = c.req.valid("json") as z.infer<typeof ApproveRequest>;
    const result = await decideLoginApproval(deps.auth, c.get("auth"), c.req.valid("param").id, { approve: true, number }, approvalBudgets, requestMeta(c));
    if (!result.ok) throw approvalError(result.failure);
    return c.body(null, 204);
  });
  const rejectRoute = decide("reject");
  app.openapi(rejectRoute, async (c) => {
    const { report } = c.req.valid("json") as z.infer<typeof RejectRequest>;
    const result = await decideLoginApproval(deps.auth, c.get("auth"), c.req.valid("param").id, { approve: false, report: report ?? false }, approvalBudgets, requestMeta(c));
    if (!result.ok) throw approvalError(result.failure);
    return c.body(null, 204);
  });

  const status = createRoute({
    method: "get",
    path: "/api/v0/auth/2fa",
    operationId: "getSecondFactorStatus",
    tags: ["Two-step verification"],
    summary: "My two-step verification",
    description: "Whether two-step verification is on, since when, and how many backup codes are left.",
    security: bearerSecurity,
    responses: { 200: { description: "The state.", content: { "application/json": { schema: SecondFactorStatus } } }, ...errorResponses(401, 403) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/2fa", policy: routePolicies.session, jsonBody: false }),
  });
  app.openapi(status, async (c) => {
    const state = await getSecondFactorStatus(deps.auth, c.get("auth").user.id);
    return c.json(
      {
        enabled: state.enabled,
        enabled_at: state.enabledAt === null ? null : toIsoTime(state.enabledAt),
        backup_codes_remaining: state.backupCodesRemaining,
        enrollment_pending: state.enrollmentPending,
      },
      200,
    );
  });

  /** A password given to re-authenticate counts against the account's sign-in failures, as a sign-in does. */
  const spendPasswordTry = async (email: string, given: string | undefined) => {
    if (given === undefined) return;
    const decision = await limits.loginFailuresPerAccount.consume(email);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
  };

  /**
   * Disabling and regenerating: the password try counted as a sign-in's, the change made with the
   * account's code-failure budget, its refusal answered, and the password try forgiven on success.
   */
  async function changeWithProof<Value>(
    caller: Authenticated,
    body: { method: SecondFactorMethod; code: string; password?: string | undefined },
    meta: RequestMeta,
    change: (deps: AuthDeps, caller: Authenticated, input: typeof body, budget: AttemptBudget, meta: RequestMeta) => Promise<SecondFactorChangeOutcome<Value>>,
  ): Promise<Value> {
    await spendPasswordTry(caller.user.email, body.password);
    const result = await change(deps.auth, caller, body, limits.secondFactorFailuresPerAccount, meta);
    if (!result.ok) {
      if (result.failure === "rate_limited") throw rateLimitedError(result.retryAfterSeconds ?? 60);
      throw manageFailureErrors[result.failure]();
    }
    if (body.password !== undefined) await limits.loginFailuresPerAccount.reset(caller.user.email);
    return result.value;
  }

  const start = createRoute({
    method: "post",
    path: "/api/v0/auth/2fa/totp",
    operationId: "startTotpEnrollment",
    tags: ["Two-step verification"],
    summary: "Start setting up an authenticator app",
    description:
      "Answers a new secret, once, as base32 and as an `otpauth://` URI for a QR code; confirm it with a code within 10 minutes. Needs a verified address and your password (or a sign-in in the last 15 minutes for an account without one).",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: EnrollmentStart } } } },
    responses: { 200: { description: "The secret, shown once.", content: { "application/json": { schema: EnrollmentStarted } } }, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/2fa/totp", policy: routePolicies.ownSession, jsonBody: true }),
  });
  app.openapi(start, async (c) => {
    const caller = c.get("auth");
    const given = c.req.valid("json").password;
    await spendPasswordTry(caller.user.email, given);
    const result = await startTotpEnrollment(deps.auth, caller, given, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_credentials") throw new ApiError("invalid_credentials", "The password is incorrect.");
      throw new ApiError(result.failure);
    }
    if (given !== undefined) await limits.loginFailuresPerAccount.reset(caller.user.email);
    c.header("Cache-Control", "no-store");
    return c.json({ secret: result.value.secret, otpauth_uri: result.value.otpauthUri, expires_at: toIsoTime(result.value.expiresAt) }, 200);
  });

  const confirm = createRoute({
    method: "post",
    path: "/api/v0/auth/2fa/totp/confirm",
    operationId: "confirmTotpEnrollment",
    tags: ["Two-step verification"],
    summary: "Turn on two-step verification",
    description:
      "Confirms the enrolment with a code from the app: two-step verification is on, ten backup codes are answered once, and every other session is signed out (unless `revoke_other_sessions` is false). Five wrong codes end the enrolment.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: EnrollmentConfirm } } } },
    responses: { 200: { description: "On; the backup codes, shown once.", content: { "application/json": { schema: BackupCodes } } }, ...errorResponses(400, 401, 403, 409, 413, 415) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/2fa/totp/confirm", policy: routePolicies.ownSession, jsonBody: true }),
  });
  app.openapi(confirm, async (c) => {
    const body = c.req.valid("json");
    const result = await confirmTotpEnrollment(deps.auth, c.get("auth"), { code: body.code, revokeOtherSessions: body.revoke_other_sessions ?? true }, requestMeta(c));
    if (!result.ok) throw result.failure === "second_factor_malformed" ? malformedCodeError() : new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    return c.json({ backup_codes: result.value.backupCodes, other_sessions_revoked: result.value.otherSessionsRevoked }, 200);
  });

  const disable = createRoute({
    method: "post",
    path: "/api/v0/auth/2fa/disable",
    operationId: "disableSecondFactor",
    tags: ["Two-step verification"],
    summary: "Turn off two-step verification",
    description: "Needs a code (TOTP or backup) and your password (or a recent sign-in). Deletes the factor and the backup codes, signs out every other session, and mails a notice.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: ProveSecondFactor } } } },
    responses: { 204: { description: "Off." }, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/2fa/disable", policy: routePolicies.ownSession, jsonBody: true }),
  });
  app.openapi(disable, async (c) => {
    await changeWithProof(c.get("auth"), c.req.valid("json"), requestMeta(c), disableSecondFactor);
    return c.body(null, 204);
  });

  const regenerate = createRoute({
    method: "post",
    path: "/api/v0/auth/2fa/backup-codes",
    operationId: "regenerateBackupCodes",
    tags: ["Two-step verification"],
    summary: "Make new backup codes",
    description: "Needs a code (TOTP or backup, which is used up) and your password (or a recent sign-in). Answers ten new codes once; the old ones stop working.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: ProveSecondFactor } } } },
    responses: { 200: { description: "The new codes, shown once.", content: { "application/json": { schema: BackupCodes } } }, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/2fa/backup-codes", policy: routePolicies.ownSession, jsonBody: true }),
  });
  app.openapi(regenerate, async (c) => {
    const { backupCodes } = await changeWithProof(c.get("auth"), c.req.valid("json"), requestMeta(c), regenerateBackupCodes);
    c.header("Cache-Control", "no-store");
    return c.json({ backup_codes: backupCodes }, 200);
  });
}

function approvalError(failure: "approver_not_verified" | "not_found" | "login_approval_already_decided" | "approval_number_mismatch"): ApiError {
  if (failure === "approver_not_verified") return new ApiError("forbidden", "Only a session that passed two-step verification can do this.");
  if (failure === "not_found") return new ApiError("not_found", "No sign-in of your account is waiting under this id.");
  return new ApiError(failure);
}
