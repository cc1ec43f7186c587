/**
 * Sign-up, password sign-in and password change. Failed sign-ins are limited per IP and per
 * account (consecutive failures, then a cool-down); the account limit applies whether or not
 * the account exists, so it reveals nothing.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { changePassword, signInWithPassword, signUpWithPassword } from "../auth/accounts.js";
import { isPlausibleEmail, normalizeEmail } from "../auth/email-address.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblemMessages } from "../auth/passwords.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { bearerSecurity, errorResponses } from "./schemas.js";
import { SignedInBody, respondSecondFactorRequired, respondSignedIn, secondFactorRequiredResponse, sessionDelivery } from "./signed-in.js";

export const emailField = z
  .string()
  .max(320)
  .refine((value) => isPlausibleEmail(normalizeEmail(value)), { message: "not a valid email address" })
  .openapi({ format: "email", example: "ada@example.com" });
// Length and commonness are checked by the domain so the answer can say which rule failed.
const passwordField = z
  .string()
  .max(4096)
  .openapi({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH, example: "correct horse battery staple" });

const SignupRequest = z
  .object({ email: emailField, password: passwordField, name: z.string().max(200).optional().openapi({ example: "Ada" }), session: sessionDelivery })
  .openapi("SignupRequest");
const LoginRequest = z.object({ email: emailField, password: passwordField, session: sessionDelivery }).openapi("LoginRequest");
const PasswordChangeRequest = z
  .object({
    current_password: passwordField.optional().openapi({ description: "Required when the account has a password." }),
    new_password: passwordField,
  })
  .openapi("PasswordChangeRequest");

export function registerAuthPasswordRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;

  const signup = createRoute({
    method: "post",
    path: "/api/v0/auth/signup",
    operationId: "signup",
    tags: ["Auth"],
    summary: "Create an account with a password",
    description:
      "Creates an unverified account, signs it in and mails a verification code. Answers 409 `email_taken` when the address already has an account (sign-up is rate-limited per IP to keep that slow to enumerate).",
    request: { body: { required: true, content: { "application/json": { schema: SignupRequest } } } },
    responses: {
      201: { description: "Account created and signed in.", content: { "application/json": { schema: SignedInBody } } },
      ...errorResponses(400, 409, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/signup", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.signupPerIp }),
  });
  app.openapi(signup, async (c) => {
    const body = c.req.valid("json");
    const result = await signUpWithPassword(deps.auth, body, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "email_taken") throw new ApiError("email_taken");
      if (result.failure === "invalid_email") throw new ApiError("invalid_request", "email: not a valid email address");
      throw new ApiError("password_rejected", passwordProblemMessages[result.failure]);
    }
    // A new account has no second factor yet.
    if (result.value.status !== "signed_in") throw new Error("a new account cannot need a second factor");
    return c.json(respondSignedIn(c, deps, result.value, body.session), 201);
  });

  const login = createRoute({
    method: "post",
    path: "/api/v0/auth/login",
    operationId: "login",
    tags: ["Auth"],
    summary: "Sign in with email and password",
    description:
      "A wrong email and a wrong password give the same 401 `invalid_credentials`. Repeated failures for one account, or from one IP, answer 429 with `Retry-After`.",
    request: { body: { required: true, content: { "application/json": { schema: LoginRequest } } } },
    responses: {
      200: { description: "Signed in.", content: { "application/json": { schema: SignedInBody } } },
      202: secondFactorRequiredResponse,
      ...errorResponses(400, 401, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/login", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.loginPerIp }),
  });
  app.openapi(login, async (c) => {
    const body = c.req.valid("json");
    const accountKey = normalizeEmail(body.email);
    // Counted before the hash is checked, so parallel guesses cannot overshoot the limit.
    const decision = await limits.loginFailuresPerAccount.consume(accountKey);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    const result = await signInWithPassword(deps.auth, body, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure);
    await limits.loginFailuresPerAccount.reset(accountKey);
    if (result.value.status === "second_factor_required") return c.json(respondSecondFactorRequired(c, result.value.challenge), 202);
    return c.json(respondSignedIn(c, deps, result.value, body.session), 200);
  });

  const password = createRoute({
    method: "post",
    path: "/api/v0/auth/password",
    operationId: "changePassword",
    tags: ["Auth"],
    summary: "Change my password",
    description:
      "Checks the current password, sets the new one, signs out every other session, deletes pending CLI handoffs and codes, and mails a notice. An account without a password may set one from a session made in the last 15 minutes.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: PasswordChangeRequest } } } },
    responses: { 204: { description: "Changed." }, ...errorResponses(400, 401, 403, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/password", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(password, async (c) => {
    const body = c.req.valid("json");
    const caller = c.get("auth");
    const decision = await limits.loginFailuresPerAccount.consume(caller.user.email);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    const result = await changePassword(deps.auth, caller, { currentPassword: body.current_password, newPassword: body.new_password }, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_credentials") throw new ApiError("invalid_credentials", "The current password is incorrect.");
      if (result.failure === "reauthentication_required") {
        throw new ApiError("forbidden", "Sign in again (for example with an email code) to set a password.");
      }
      throw new ApiError("password_rejected", passwordProblemMessages[result.failure]);
    }
    await limits.loginFailuresPerAccount.reset(caller.user.email);
    return c.body(null, 204);
  });
}
