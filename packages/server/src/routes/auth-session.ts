/** Session endpoints: the session check, listing, revoking one, logout and sign-out everywhere. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { listMyOrgs } from "../auth/orgs.js";
import { listUserSessions, revokeAllUserSessions, revokeOwnSession, revokeSessionByToken } from "../auth/sessions.js";
import { describeImpersonation } from "../auth/impersonation.js";
import { ApiError } from "../errors.js";
import { ImpersonationSchema, toImpersonationBody } from "./admin.js";
import { readCredential } from "../http/authenticate.js";
import type { AppEnv } from "../http/context.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { clearSessionCookie } from "../http/session-cookie.js";
import { SessionSchema, UserSchema, bearerSecurity, errorResponses, toSessionBody, toUserBody } from "./schemas.js";

const CurrentSession = z
  .object({
    user: UserSchema,
    session: SessionSchema,
    impersonation: z.union([ImpersonationSchema, z.null()]).openapi({
      description: "For a support session: who is acting as the user, why, and until when (treat such a session as read-only); `null` otherwise.",
    }),
  })
  .openapi("CurrentSession");
const SessionList = z
  .object({ sessions: z.array(SessionSchema.extend({ current: z.boolean().openapi({ description: "This request's session." }) })) })
  .openapi("SessionList");

export function registerAuthSessionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const sessionGuards = (path: string) => routeGuards(deps.guard, { path, policy: routePolicies.session, jsonBody: false });

  const logout = createRoute({
    method: "post",
    path: "/api/v0/auth/logout",
    operationId: "logout",
    tags: ["Auth"],
    summary: "Log out (revoke the current bearer token)",
    description: "Revokes the bearer token used for this request. The token can no longer be used to authenticate. Idempotent.",
    security: bearerSecurity,
    responses: { 204: { description: "Revoked (or already gone)." }, ...errorResponses(401) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/logout", policy: routePolicies.credential, jsonBody: false }),
  });
  app.openapi(logout, async (c) => {
    const credential = readCredential(c, deps.cookie.name);
    if (credential) await revokeSessionByToken(deps.auth, credential.token, requestMeta(c));
    if (credential?.via === "cookie") clearSessionCookie(c, deps.cookie);
    return c.body(null, 204);
  });

  const logoutAll = createRoute({
    method: "post",
    path: "/api/v0/auth/logout-all",
    operationId: "logoutAll",
    tags: ["Auth"],
    summary: "Sign out everywhere",
    description:
      "Revokes every session of the current user, this one included, and deletes the user's pending CLI handoffs and paste codes. API tokens stay: revoke them with `revokeApiToken`.",
    security: bearerSecurity,
    responses: { 204: { description: "Every session was revoked." }, ...errorResponses(401) },
    middleware: sessionGuards("/api/v0/auth/logout-all"),
  });
  app.openapi(logoutAll, async (c) => {
    await revokeAllUserSessions(deps.auth, c.get("auth").user.id, requestMeta(c), "logout_all", { scope: "sign_ins" });
    if (readCredential(c, deps.cookie.name)?.via === "cookie") clearSessionCookie(c, deps.cookie);
    return c.body(null, 204);
  });

  const current = createRoute({
    method: "get",
    path: "/api/v0/auth/session",
    operationId: "getSession",
    tags: ["Auth"],
    summary: "The current session and its user",
    description:
      "Checks the bearer token (a session or an API token) and describes its session. Answers 401 for an unknown, expired or revoked token.",
    security: bearerSecurity,
    responses: {
      200: { description: "The session is live.", content: { "application/json": { schema: CurrentSession } } },
      ...errorResponses(401),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/session", policy: routePolicies.sessionOrApiToken, jsonBody: false }),
  });
  app.openapi(current, async (c) => {
    const auth = c.get("auth");
    // Read only for a support session, so the ordinary session check stays one read.
    const support = await describeImpersonation(deps.auth, auth.session);
    const impersonation = support ? toImpersonationBody(support, support.impersonator) : null;
    return c.json({ user: toUserBody(auth.user), session: toSessionBody(auth.session, auth.orgRole), impersonation }, 200);
  });

  const list = createRoute({
    method: "get",
    path: "/api/v0/auth/sessions",
    operationId: "listSessions",
    tags: ["Auth"],
    summary: "List my sessions",
    description: "Every live session of the current user, newest first, with the current one marked. Never includes a token.",
    security: bearerSecurity,
    responses: {
      200: { description: "The sessions.", content: { "application/json": { schema: SessionList } } },
      ...errorResponses(401),
    },
    middleware: sessionGuards("/api/v0/auth/sessions"),
  });
  app.openapi(list, async (c) => {
    const auth = c.get("auth");
    const [sessions, { orgs }] = [await listUserSessions(deps.auth, auth.user.id), await listMyOrgs(deps.auth, auth.user.id)];
    const roles = new Map(orgs.map((entry) => [entry.org.id, entry.role]));
    return c.json(
      {
        sessions: sessions.map((session) => {
          // An org the user has left since reads as none, as the session check reads it.
          const role = session.orgId === null ? null : (roles.get(session.orgId) ?? null);
          return { ...toSessionBody({ ...session, orgId: role === null ? null : session.orgId }, role), current: session.id === auth.session.id };
        }),
      },
      200,
    );
  });

  const revoke = createRoute({
    method: "delete",
    path: "/api/v0/auth/sessions/{id}",
    operationId: "revokeSession",
    tags: ["Auth"],
    summary: "Revoke one of my sessions",
    description: "Revokes a session of the current user by its id. Another user's session id answers 404, like an unknown one.",
    security: bearerSecurity,
    request: { params: z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "ses_Zb7fK2mQ9cR4tW1xY8nA" }) }) },
    responses: { 204: { description: "Revoked." }, ...errorResponses(400, 401, 403, 404) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/sessions/{id}", policy: routePolicies.sessionOrSupport, jsonBody: false }),
  });
  app.openapi(revoke, async (c) => {
    const caller = c.get("auth");
    const id = c.req.valid("param").id;
    // A support session may end itself, and revoke nothing else of the account's.
    if (caller.session.impersonatorUserId !== null && id !== caller.session.id) throw new ApiError("impersonation_forbidden");
    const revoked = await revokeOwnSession(deps.auth, caller, id, requestMeta(c));
    if (!revoked) throw new ApiError("not_found", "No such session.");
    return c.body(null, 204);
  });
}
