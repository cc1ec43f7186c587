/**
 * Support sessions over HTTP: a platform operator starts one (`startImpersonation`), and the
 * support session ends itself (`stopImpersonation`). Operators are made only from the server's
 * command line; everyone else is refused, and the refusal is audited.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { startImpersonation, type Impersonation } from "../auth/impersonation.js";
import { revokeOwnSession, validateSessionToken } from "../auth/sessions.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { readCredential } from "../http/authenticate.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { clearOperatorCookie, clearSessionCookie, readOperatorCookie, setOperatorCookie, setSessionCookie } from "../http/session-cookie.js";
import { UserSchema, bearerSecurity, errorResponses, toIsoTime, toUserBody } from "./schemas.js";
import { malformedCodeError } from "./second-factor.js";

export const ImpersonationSchema = z
  .object({
    session_id: z.string().openapi({ example: "ses_Zb7fK2mQ9cR4tW1xY8nA" }),
    impersonator: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }).openapi({ description: "The operator acting as the user." }),
    reason: z.string().openapi({ example: "Ticket #4821: the org settings page is blank" }),
    started_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Impersonation", { description: "A support session: an operator sees the account as its owner does, and changes nothing." });

export function toImpersonationBody(impersonation: Impersonation, impersonator: { id: string; email: string; name: string | null }): z.infer<typeof ImpersonationSchema> {
  return {
    session_id: impersonation.sessionId,
    impersonator,
    reason: impersonation.reason,
    started_at: toIsoTime(impersonation.startedAt),
    expires_at: toIsoTime(impersonation.expiresAt),
  };
}

const StartRequest = z
  .object({
    user_id: z.string().max(64).optional().openapi({ description: "The account, by id; or give `email`." }),
    email: z.string().max(320).optional().openapi({ example: "ada@example.com" }),
    reason: z.string().max(2000).openapi({ description: "Why, in 10 to 500 characters: it is shown to the person and kept in the audit log.", example: "Ticket #4821: the org settings page is blank" }),
    method: z.enum(["totp", "backup_code"]),
    code: z.string().max(64).openapi({ description: "Your own two-step code: every start needs a fresh one.", example: "492039" }),
    session: z.enum(["token", "cookie"]).optional().openapi({
      description:
        '"cookie" (the web app, signed in with its cookie): the support session goes into the session cookie and yours waits in a cookie that only `stopImpersonation` is sent, which puts it back. "token" (the default) returns the token.',
    }),
  })
  .openapi("StartImpersonationRequest");
const Started = z
  .object({ user: UserSchema, impersonation: ImpersonationSchema, token: z.string().optional().openapi({ description: "The support session's token (`hmt_…`), shown once; absent when it went into the cookie." }) })
  .openapi("ImpersonationStarted");

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;

  const start = createRoute({
    method: "post",
    path: "/api/v0/admin/impersonations",
    operationId: "startImpersonation",
    tags: ["Support"],
    summary: "Start a support session of an account",
    description:
      "For platform operators (made with `harmont-server users grant-operator`) with two-step verification on: a read-only session of another account, at most `HARMONT_IMPERSONATION_TTL` (1 hour) long, a child of your session. Every start needs a fresh code and a written reason; the person is mailed. Operators and yourself cannot be impersonated, and a support session cannot start another.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: StartRequest } } } },
    responses: { 201: { description: "Started.", content: { "application/json": { schema: Started } } }, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/admin/impersonations", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(start, async (c) => {
    const body = c.req.valid("json");
    if ((body.user_id === undefined) === (body.email === undefined)) throw new ApiError("invalid_request", "Give exactly one of user_id and email.");
    const caller = c.get("auth");
    const credential = readCredential(c, deps.guard.cookieName);
    // Checked before anything is spent: the operator's own session must be the cookie it moves aside.
    if (body.session === "cookie" && credential?.via !== "cookie") throw new ApiError("invalid_request", 'session: "cookie" is for the web app, signed in with its cookie.');
    const result = await startImpersonation(
      deps.auth,
      caller,
      { target: body.user_id !== undefined ? { userId: body.user_id } : { email: body.email! }, reason: body.reason, method: body.method, code: body.code },
      { failures: limits.secondFactorFailuresPerAccount, starts: limits.impersonationsPerOperator },
      requestMeta(c),
    );
    if (!result.ok) {
      switch (result.failure) {
        case "rate_limited":
          throw rateLimitedError(result.retryAfterSeconds ?? 60);
        case "not_operator":
          throw new ApiError("forbidden", "Only platform operators can start support sessions.");
        case "operator_needs_second_factor":
          throw new ApiError("forbidden", "Operators must turn on two-step verification first.");
        case "invalid_reason":
          throw new ApiError("invalid_request", "reason: write why, in 10 to 500 characters.");
        case "second_factor_malformed":
          throw malformedCodeError();
        case "not_found":
          throw new ApiError("not_found", "No such account.");
        default:
          throw new ApiError(result.failure);
      }
    }
    c.header("Cache-Control", "no-store");
    const { id, email, name } = caller.user;
    const answer = { user: toUserBody(result.value.target), impersonation: toImpersonationBody(result.value.impersonation, { id, email, name }) };
    if (body.session === "cookie" && credential) {
      const support = result.value.session;
      setOperatorCookie(c, deps.cookie, credential.token, Math.min(caller.session.absoluteExpiresAt, caller.session.lastUsedAt + caller.session.idleTimeoutMs) - support.createdAt);
      setSessionCookie(c, deps.cookie, result.value.token, support.absoluteExpiresAt - support.createdAt);
      return c.json(answer, 201);
    }
    return c.json({ ...answer, token: result.value.token }, 201);
  });

  const stop = createRoute({
    method: "delete",
    path: "/api/v0/admin/impersonations/current",
    operationId: "stopImpersonation",
    tags: ["Support"],
    summary: "End this support session",
    description:
      "Called with a support session: ends it at once. Any other session answers 404. Started from the web app, it also puts the operator's own session back into the cookie, when that session is still live.",
    security: bearerSecurity,
    responses: { 204: { description: "Ended." }, ...errorResponses(401, 404) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/admin/impersonations/current", policy: routePolicies.sessionOrSupport, jsonBody: false }),
  });
  app.openapi(stop, async (c) => {
    const caller = c.get("auth");
    if (caller.session.impersonatorUserId === null) throw new ApiError("not_found", "This is not a support session.");
    await revokeOwnSession(deps.auth, caller, caller.session.id, requestMeta(c));
    const waiting = readOperatorCookie(c, deps.cookie);
    if (waiting !== null) {
      // Only the operator's own, live, ordinary session goes back; whatever else the cookie held is dropped.
      const operator = await validateSessionToken(deps.auth, waiting, c.get("clientIp"));
      const restorable = operator !== null && operator.session.kind === "web" && operator.session.impersonatorUserId === null && operator.user.id === caller.session.impersonatorUserId;
      if (restorable) setSessionCookie(c, deps.cookie, waiting, operator.session.absoluteExpiresAt - deps.auth.clock.now());
      else clearSessionCookie(c, deps.cookie);
      clearOperatorCookie(c, deps.cookie);
    }
    return c.body(null, 204);
  });
}
