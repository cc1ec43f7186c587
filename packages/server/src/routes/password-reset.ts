/** Password reset over HTTP: request a link, check it, complete it. No session is involved. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { normalizeEmail } from "../auth/email-address.js";
import { checkPasswordReset, completePasswordReset, requestPasswordReset } from "../auth/password-reset.js";
import { MAX_PASSWORD_LENGTH, passwordProblemMessages } from "../auth/passwords.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { errorResponses, toIsoTime } from "./schemas.js";
import { malformedCodeError } from "./second-factor.js";

const ResetRequest = z.object({ email: z.string().max(320).openapi({ example: "ada@example.com" }) }).openapi("PasswordResetRequest");
const ResetRequested = z
  .object({
    status: z.enum(["sent"]),
    expires_in: z.number().int().openapi({ description: "Seconds a link works for.", example: 1800 }),
  })
  .openapi("PasswordResetRequested", { description: "The same answer whether or not the address has an account." });
const ResetToken = z.object({ token: z.string().max(128).openapi({ description: "The `hrt_…` token from the link's fragment." }) }).openapi("PasswordResetCheckRequest");
const ResetState = z
  .object({
    email_hint: z.string().openapi({ example: "a***@example.com" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    second_factor_required: z.boolean().openapi({ description: "Whether completing it needs a second factor too." }),
  })
  .openapi("PasswordResetState");
const ResetComplete = z
  .object({
    token: z.string().max(128),
    new_password: z.string().max(MAX_PASSWORD_LENGTH * 4).openapi({ description: "The new password, under the password policy." }),
    second_factor: z
      .object({
        method: z.enum(["totp", "backup_code"]),
        code: z.string().max(64).openapi({ example: "492039" }),
      })
      .optional()
      .openapi({ description: "Required when the account has two-step verification (`checkPasswordReset` says so): a code from the app, or a backup code." }),
  })
  .openapi("PasswordResetCompleteRequest");

export function registerPasswordResetRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;

  const request = createRoute({
    method: "post",
    path: "/api/v0/auth/password-reset",
    operationId: "requestPasswordReset",
    tags: ["Auth"],
    summary: "Ask for a password reset link",
    description:
      "Mails a link that works once, for 30 minutes by default, built from the server's public URL with the token in its fragment. The answer is the same whether or not the address has an account (one without gets a mail saying so), and nothing changes until the link is used.",
    request: { body: { required: true, content: { "application/json": { schema: ResetRequest } } } },
    responses: {
      202: { description: "Sent (or, for an unknown address, the no-account mail).", content: { "application/json": { schema: ResetRequested } } },
      ...errorResponses(400, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/password-reset", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.passwordResetsPerIp }),
  });
  app.openapi(request, async (c) => {
    const { email } = c.req.valid("json");
    const perAddress = await limits.passwordResetsPerAddress.consume(normalizeEmail(email));
    if (!perAddress.allowed) throw rateLimitedError(perAddress.retryAfterSeconds);
    const result = await requestPasswordReset(deps.auth, email, deps.config.publicUrl.href.replace(/\/+$/, ""), requestMeta(c));
    if (!result.ok) throw new ApiError("invalid_request", "email: give an email address like ada@example.com.");
    return c.json({ status: "sent" as const, expires_in: result.value.expiresInSeconds }, 202);
  });

  const check = createRoute({
    method: "post",
    path: "/api/v0/auth/password-reset/check",
    operationId: "checkPasswordReset",
    tags: ["Auth"],
    summary: "Check a password reset link",
    description: "Whether the link still works, and for which address (masked). It uses nothing up, so a mail scanner that opens links does no harm.",
    request: { body: { required: true, content: { "application/json": { schema: ResetToken } } } },
    responses: { 200: { description: "It works.", content: { "application/json": { schema: ResetState } } }, ...errorResponses(400, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/password-reset/check", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.cliPerIp }),
  });
  app.openapi(check, async (c) => {
    const result = await checkPasswordReset(deps.auth, c.req.valid("json").token);
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    return c.json({ email_hint: result.value.emailHint, expires_at: toIsoTime(result.value.expiresAt), second_factor_required: result.value.secondFactorRequired }, 200);
  });

  const complete = createRoute({
    method: "post",
    path: "/api/v0/auth/password-reset/complete",
    operationId: "completePasswordReset",
    tags: ["Auth"],
    summary: "Set a new password with a reset link",
    description:
      "Sets the password, once per link. An account with two-step verification must also send `second_factor` (a code). Every session and API token of the account is revoked, with its pending CLI logins; nobody is signed in by this call; a notice is mailed. A password the policy refuses spends nothing.",
    request: { body: { required: true, content: { "application/json": { schema: ResetComplete } } } },
    responses: { 204: { description: "Changed; sign in with the new password." }, ...errorResponses(400, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/password-reset/complete", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.loginPerIp }),
  });
  app.openapi(complete, async (c) => {
    const body = c.req.valid("json");
    const result = await completePasswordReset(
      deps.auth,
      { token: body.token, newPassword: body.new_password, secondFactor: body.second_factor },
      limits.secondFactorFailuresPerAccount,
      requestMeta(c),
    );
    if (!result.ok) {
      const { failure } = result;
      if (failure === "rate_limited") throw rateLimitedError(result.retryAfterSeconds ?? 60);
      if (failure === "second_factor_malformed") throw malformedCodeError();
      if (failure === "password_reset_invalid" || failure === "second_factor_required" || failure === "second_factor_invalid") throw new ApiError(failure);
      throw new ApiError("password_rejected", passwordProblemMessages[failure]);
    }
    // A reset works during a sign-in cool-down, and ends it.
    await limits.loginFailuresPerAccount.reset(result.value.email);
    return c.body(null, 204);
  });
}
