/**
 * Email codes: passwordless sign-in (request → verify) and email verification. Requests answer
 * the same whether or not the account exists; sends are limited per address and per IP, and
 * failed checks per address across codes, so asking for new codes buys no extra guesses.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { requestSignInCode, resendVerificationCode, signInWithEmailCode, verifyEmailAddress } from "../auth/accounts.js";
import { normalizeEmail } from "../auth/email-address.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError, type RateLimiter } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { emailField } from "./auth-password.js";
import { UserSchema, bearerSecurity, errorResponses, toUserBody } from "./schemas.js";
import { SignedInBody, respondSecondFactorRequired, respondSignedIn, secondFactorRequiredResponse, sessionDelivery } from "./signed-in.js";

const codeField = z.string().max(64).openapi({ description: "The 8-digit code from the mail.", example: "48213077" });
const EmailCodeRequest = z.object({ email: emailField }).openapi("EmailCodeRequest");
const EmailCodeVerifyRequest = z.object({ email: emailField, code: codeField, session: sessionDelivery }).openapi("EmailCodeVerifyRequest");
const EmailVerifyRequest = z.object({ code: codeField }).openapi("EmailVerifyRequest");
const CodeSent = z
  .object({
    status: z.literal("sent"),
    expires_in: z.number().int().openapi({ description: "Seconds the code stays valid." }),
  })
  .openapi("CodeSent");

async function spend(limiter: RateLimiter, key: string): Promise<void> {
  const decision = await limiter.consume(key);
  if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
}

export function registerAuthEmailRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;
  const codeSent = { status: "sent" as const, expires_in: Math.round(deps.auth.emailCodeTtlMs / 1000) };

  const request = createRoute({
    method: "post",
    path: "/api/v0/auth/email-code",
    operationId: "requestEmailCode",
    tags: ["Auth"],
    summary: "Email me a sign-in code",
    description:
      "Mails an 8-digit sign-in code, valid 10 minutes, replacing any earlier one. Always 202 with the same body, whether or not the address has an account.",
    request: { body: { required: true, content: { "application/json": { schema: EmailCodeRequest } } } },
    responses: {
      202: { description: "If the address can receive mail, a code is on its way.", content: { "application/json": { schema: CodeSent } } },
      ...errorResponses(400, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/email-code", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.emailCodesPerIp }),
  });
  app.openapi(request, async (c) => {
    const { email } = c.req.valid("json");
    await spend(limits.emailCodesPerAddress, normalizeEmail(email));
    const result = await requestSignInCode(deps.auth, email);
    if (!result.ok) throw new ApiError("invalid_request", "email: not a valid email address");
    return c.json(codeSent, 202);
  });

  const verify = createRoute({
    method: "post",
    path: "/api/v0/auth/email-code/verify",
    operationId: "verifyEmailCode",
    tags: ["Auth"],
    summary: "Sign in with an emailed code",
    description:
      "Signs in with the code from the mail, creating the account on first use. A wrong, used, expired or exhausted code answers 400 `email_code_invalid`; five wrong tries kill a code.",
    request: { body: { required: true, content: { "application/json": { schema: EmailCodeVerifyRequest } } } },
    responses: {
      200: { description: "Signed in.", content: { "application/json": { schema: SignedInBody } } },
      202: secondFactorRequiredResponse,
      ...errorResponses(400, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/email-code/verify", policy: routePolicies.public, jsonBody: true }),
  });
  app.openapi(verify, async (c) => {
    const body = c.req.valid("json");
    const key = normalizeEmail(body.email);
    await spend(limits.emailCodeFailuresPerAddress, key);
    const result = await signInWithEmailCode(deps.auth, body, requestMeta(c));
    if (!result.ok) throw new ApiError("email_code_invalid");
    await limits.emailCodeFailuresPerAddress.reset(key);
    const { outcome } = result.value;
    if (outcome.status === "second_factor_required") return c.json(respondSecondFactorRequired(c, outcome.challenge), 202);
    return c.json(respondSignedIn(c, deps, outcome, body.session), 200);
  });

  const confirm = createRoute({
    method: "post",
    path: "/api/v0/auth/email/verify",
    operationId: "verifyEmail",
    tags: ["Auth"],
    summary: "Verify my email address",
    description: "Verifies the signed-in user's address with the code mailed at sign-up. Changes nothing else.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: EmailVerifyRequest } } } },
    responses: {
      200: { description: "Verified.", content: { "application/json": { schema: UserSchema } } },
      ...errorResponses(400, 401, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/email/verify", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(confirm, async (c) => {
    const caller = c.get("auth");
    await spend(limits.emailCodeFailuresPerAddress, caller.user.email);
    const result = await verifyEmailAddress(deps.auth, caller, c.req.valid("json").code, requestMeta(c));
    if (!result.ok) throw new ApiError("email_code_invalid");
    await limits.emailCodeFailuresPerAddress.reset(caller.user.email);
    return c.json(toUserBody(result.value), 200);
  });

  const resend = createRoute({
    method: "post",
    path: "/api/v0/auth/email/verification",
    operationId: "resendVerificationEmail",
    tags: ["Auth"],
    summary: "Send a new verification code",
    description: "Mails a new verification code to the signed-in user's address (replacing the earlier one).",
    security: bearerSecurity,
    responses: {
      202: { description: "Sent (or the address is already verified).", content: { "application/json": { schema: CodeSent } } },
      ...errorResponses(401, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/email/verification", policy: routePolicies.session, jsonBody: false }),
  });
  app.openapi(resend, async (c) => {
    const caller = c.get("auth");
    await spend(limits.emailCodesPerAddress, caller.user.email);
    await resendVerificationCode(deps.auth, caller);
    return c.json(codeSent, 202);
  });
}
