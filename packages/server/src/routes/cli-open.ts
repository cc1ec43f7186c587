/**
 * The CLI → browser handoff over HTTP (`harmont open`): a CLI session mints a one-time code,
 * the `/cli-open` page inspects it (nothing is spent) and, once the person agrees, consumes it
 * for a cookie session. The code travels in the opened URL's fragment and in JSON bodies, never
 * in a query string, and no answer ever carries a session token.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { consumeCliBrowserToken, inspectCliBrowserToken, mintCliBrowserToken } from "../auth/cli-browser-tokens.js";
import { validateSessionToken } from "../auth/sessions.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { readCookie, setSessionCookie } from "../http/session-cookie.js";
import { UserSchema, bearerSecurity, errorResponses, toIsoTime, toUserBody } from "./schemas.js";

const codeExample = "hbt_Jx2bGv0Qe8r5s1tWc9kLmNpAa3zYdFhUiO4o6u7X_yw";

const CliBrowserToken = z
  .object({
    code: z.string().openapi({ description: "The one-time code (`hbt_…`): it works once, for 60 seconds.", example: codeExample }),
    url: z.string().openapi({ description: "The web app's `/cli-open` page with the code in the fragment: open it in a browser.", example: `https://auth.example.com/cli-open#code=${codeExample}` }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("CliBrowserToken");
const CodeRequest = z
  .object({ code: z.string().max(256).openapi({ description: "The code from the opened URL's fragment.", example: codeExample }) })
  .openapi("CliBrowserTokenRequest");
const Inspection = z
  .object({
    user: UserSchema,
    cli_session: z.object({ id: z.string(), name: z.string().openapi({ example: "harmont CLI on ada-laptop" }) }).openapi({ description: "The CLI session that made the code." }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("CliBrowserTokenInspection");
const Consumed = z
  .object({
    user: UserSchema,
    session_created: z.boolean().openapi({ description: "`false` when the browser was already signed in as this user: the code is used up and the session kept." }),
  })
  .openapi("CliBrowserTokenConsumed");

export function registerCliOpenRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;
  const webBase = deps.config.publicUrl.href.replace(/\/+$/, "");

  const mint = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/browser-token",
    operationId: "createCliBrowserToken",
    tags: ["Auth"],
    summary: "Make a one-time code that opens the web app signed in",
    description:
      "Called by a CLI session (`harmont open`): a code that works once, within 60 seconds, to open a browser session of the same account. The browser session is a child of the CLI session: it dies with it, never outlives it, and is never a recent sign-in. Web sessions, API tokens and support sessions are refused. At most 10 a minute.",
    security: bearerSecurity,
    responses: { 200: { description: "The code and the URL to open.", content: { "application/json": { schema: CliBrowserToken } } }, ...errorResponses(401, 403, 429) },
    middleware: routeGuards(deps.guard, {
      path: "/api/v0/auth/cli/browser-token",
      policy: { authentication: "session", sessionKind: "cli", impersonation: "deny" },
      jsonBody: false,
      ipLimiter: limits.cliPerIp,
    }),
  });
  app.openapi(mint, async (c) => {
    const caller = c.get("auth");
    const spent = await limits.browserTokensPerUser.consume(caller.user.id);
    if (!spent.allowed) throw rateLimitedError(spent.retryAfterSeconds);
    const minted = await mintCliBrowserToken(deps.auth, caller, requestMeta(c));
    if (!minted.ok) throw new ApiError("unauthorized");
    c.header("Cache-Control", "no-store");
    const { code, expiresAt } = minted.value;
    return c.json({ code, url: `${webBase}/cli-open#code=${code}`, expires_at: toIsoTime(expiresAt) }, 200);
  });

  const inspect = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/browser-token/inspect",
    operationId: "inspectCliBrowserToken",
    tags: ["Auth"],
    summary: "See whose a CLI → browser code is",
    description: "For the `/cli-open` page, before the person decides: the account and the CLI session the code came from. It uses nothing up.",
    request: { body: { required: true, content: { "application/json": { schema: CodeRequest } } } },
    responses: { 200: { description: "The code works.", content: { "application/json": { schema: Inspection } } }, ...errorResponses(400, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/cli/browser-token/inspect", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.cliPerIp }),
  });
  app.openapi(inspect, async (c) => {
    const result = await inspectCliBrowserToken(deps.auth, c.req.valid("json").code);
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    const { user, cliSession, expiresAt } = result.value;
    return c.json({ user: toUserBody(user), cli_session: cliSession, expires_at: toIsoTime(expiresAt) }, 200);
  });

  const consume = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/browser-token/consume",
    operationId: "consumeCliBrowserToken",
    tags: ["Auth"],
    summary: "Use a CLI → browser code for a browser session",
    description:
      "For the `/cli-open` page, after the person agreed: uses the code up (of concurrent calls, one succeeds) and sets the session cookie. A browser already signed in as the same account keeps its session; one signed in as another account is signed out first. The answer never carries a token.",
    request: { body: { required: true, content: { "application/json": { schema: CodeRequest } } } },
    responses: { 200: { description: "Signed in (the cookie is set).", content: { "application/json": { schema: Consumed } } }, ...errorResponses(400, 413, 415, 429) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/cli/browser-token/consume", policy: routePolicies.public, jsonBody: true, ipLimiter: limits.cliPerIp }),
  });
  app.openapi(consume, async (c) => {
    const { code } = c.req.valid("json");
    // Only the browser's own cookie counts: the session this page replaces or keeps.
    const cookie = readCookie(c, deps.cookie.name);
    const found = cookie ? await validateSessionToken(deps.auth, cookie, c.get("clientIp")) : null;
    const current = found && found.session.kind !== "api" ? found : null;
    const result = await consumeCliBrowserToken(deps.auth, code, current, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    const consumed = result.value;
    if (consumed.sessionCreated) setSessionCookie(c, deps.cookie, consumed.token, consumed.session.absoluteExpiresAt - consumed.session.createdAt);
    return c.json({ user: toUserBody(consumed.user), session_created: consumed.sessionCreated }, 200);
  });
}
