/**
 * The browser half of the device grant: the signed-in person looks up the code their device
 * shows, then approves or denies it. Harmont's own JSON API (the envelope, session auth), beside
 * the OAuth endpoints the device itself talks to; and the seed's `cliComplete`, which approves.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { answerDeviceAuthorization, lookUpDeviceAuthorization, type UserCodeBudget } from "../auth/device-codes.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError, type RateLimiter } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { bearerSecurity, errorResponses, toIsoTime } from "./schemas.js";

const userCode = z.string().max(64).openapi({ description: "The code the device shows, in any case, with or without the dash.", example: "BCDF-GHJK" });
const UserCodeRequest = z.object({ user_code: userCode }).openapi("DeviceUserCodeRequest");
const DeviceLogin = z
  .object({
    user_code: z.string().openapi({ example: "BCDF-GHJK" }),
    client_id: z.string().openapi({ example: "harmont-cli" }),
    client_name: z.string().openapi({ description: "The name the server's registry gives the client: trust this one.", example: "Harmont CLI" }),
    first_party: z.boolean().openapi({ description: "Harmont's own CLI; other clients were registered by the server's operator." }),
    session_name: z.string().openapi({ description: "The name the client gave itself: its own words, not checked.", example: "harmont CLI on ada-laptop" }),
    device_description: z.string().nullable().openapi({ example: "harmont-cli 0.2.0 on Linux" }),
    requested_from: z.string().nullable().openapi({ description: "The address the device asked from: on another network than yours is normal (that is what the device login is for), but not if you did not start one.", example: "198.51.100.7" }),
    requested_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    status: z.enum(["pending", "approved"]).openapi({ description: "`approved` when you approved it already (a reload)." }),
  })
  .openapi("DeviceLogin");
const CompleteRequest = z
  .object({
    login_code: userCode,
    mode: z.string().optional().openapi({ description: 'Absent or "complete".' }),
    refresh_token: z.string().optional().openapi({ description: "Not accepted: Harmont completes the login for the signed-in caller." }),
  })
  .openapi("CliCompleteRequest");
const CompleteResponse = z.object({ success: z.literal(true) }).openapi("CliCompleteResponse");

export function registerAuthDeviceRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;
  // Every typed code spends from three budgets before it is compared; a match gives the points back.
  const budgets = (userId: string, ip: string | null) =>
    [
      [limits.userCodeFailuresPerUser, userId],
      [limits.userCodeFailuresPerIp, ip ?? "unknown"],
      [limits.userCodeFailuresGlobal, "all"],
    ] as const;
  // Every typed code spends from three budgets, in order, before it is compared; a refused one
  // gives back what this try spent (no comparison was made), and a match gives all three back.
  const budget: UserCodeBudget = {
    async spend(userId, ip) {
      const spent: Array<readonly [RateLimiter, string]> = [];
      for (const [limiter, key] of budgets(userId, ip)) {
        const decision = await limiter.consume(key);
        if (!decision.allowed) {
          for (const [given, givenKey] of spent) await given.reward(givenKey);
          if (limiter === limits.userCodeFailuresGlobal) deps.logger.warn("the global budget of wrong device-login codes is spent: every code is refused until it refills");
          return decision;
        }
        spent.push([limiter, key]);
      }
      return { allowed: true, retryAfterSeconds: 0 };
    },
    async refund(userId, ip) {
      for (const [limiter, key] of budgets(userId, ip)) await limiter.reward(key);
    },
  };
  const failure = (result: { failure: "user_code_invalid" | "rate_limited"; retryAfterSeconds?: number }) =>
    result.failure === "rate_limited" ? rateLimitedError(result.retryAfterSeconds ?? 60) : new ApiError("user_code_invalid");
  const guard = (path: string) => routeGuards(deps.guard, { path, policy: routePolicies.ownSession, jsonBody: true });

  const lookup = createRoute({
    method: "post",
    path: "/api/v0/auth/device/lookup",
    operationId: "lookUpDeviceLogin",
    tags: ["Device login"],
    summary: "Look up a device login by its code",
    description:
      "What the device page shows before asking: the client as the server knows it, the name it gave itself, when it asked and when the code expires. Only a login waiting for an answer (or one you approved) is found; everything else is `user_code_invalid`. Wrong codes are limited per user, per IP and overall.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: UserCodeRequest } } } },
    responses: { 200: { description: "The login waiting for an answer.", content: { "application/json": { schema: DeviceLogin } } }, ...errorResponses(400, 401, 403, 413, 415, 429) },
    middleware: guard("/api/v0/auth/device/lookup"),
  });
  app.openapi(lookup, async (c) => {
    const result = await lookUpDeviceAuthorization(deps.auth, deps.oauthClients, c.get("auth"), c.req.valid("json").user_code, budget, requestMeta(c));
    if (!result.ok) throw failure(result);
    const view = result.value;
    return c.json(
      {
        user_code: view.userCode,
        client_id: view.client.id,
        client_name: view.client.name,
        first_party: view.client.firstParty,
        session_name: view.sessionName,
        device_description: view.deviceDescription,
        requested_from: view.requestedFrom,
        requested_at: toIsoTime(view.requestedAt),
        expires_at: toIsoTime(view.expiresAt),
        status: view.status,
      },
      200,
    );
  });

  for (const answer of ["approve", "deny"] as const) {
    const route = createRoute({
      method: "post",
      path: `/api/v0/auth/device/${answer}`,
      operationId: answer === "approve" ? "approveDeviceLogin" : "denyDeviceLogin",
      tags: ["Device login"],
      summary: answer === "approve" ? "Approve a device login" : "Deny a device login",
      description:
        answer === "approve"
          ? "Approves the login for your account: the device's next poll gets a new CLI session, a child of this session, that can act as you until it expires or is revoked. The first answer stands; approving twice is fine."
          : "Refuses the login: the device hears `access_denied`. Your own Deny wins over your Approve until the device has picked its session up.",
      security: bearerSecurity,
      request: { body: { required: true, content: { "application/json": { schema: UserCodeRequest } } } },
      responses: { 204: { description: answer === "approve" ? "Approved." : "Denied." }, ...errorResponses(400, 401, 403, 413, 415, 429) },
      middleware: guard(`/api/v0/auth/device/${answer}`),
    });
    app.openapi(route, async (c) => {
      const result = await answerDeviceAuthorization(deps.auth, c.get("auth"), c.req.valid("json").user_code, answer, budget, requestMeta(c));
      if (!result.ok) throw failure(result);
      return c.body(null, 204);
    });
  }

  const complete = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/complete",
    operationId: "cliComplete",
    tags: ["Device login"],
    summary: "Complete a CLI login by its code",
    description:
      "Approves the device login whose code is `login_code` for the signed-in caller, as `approveDeviceLogin` does (the same limits), and answers `{\"success\": true}`.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: CompleteRequest } } } },
    responses: { 200: { description: "Approved.", content: { "application/json": { schema: CompleteResponse } } }, ...errorResponses(400, 401, 403, 413, 415, 429) },
    middleware: guard("/api/v0/auth/cli/complete"),
  });
  app.openapi(complete, async (c) => {
    const body = c.req.valid("json");
    if (body.mode !== undefined && body.mode !== "complete") throw new ApiError("invalid_request", 'mode: only "complete" is supported.');
    if (body.refresh_token !== undefined) {
      throw new ApiError("invalid_request", "refresh_token: Harmont completes the login for the signed-in caller; do not send refresh_token.");
    }
    const result = await answerDeviceAuthorization(deps.auth, c.get("auth"), body.login_code, "approve", budget, requestMeta(c));
    if (!result.ok) throw failure(result);
    return c.json({ success: true as const }, 200);
  });
}
