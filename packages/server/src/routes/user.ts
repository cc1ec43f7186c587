/** The signed-in user: read it, change the profile and the notices, delete the account. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { deleteAccount, readAccountSettings, updateProfile } from "../auth/account.js";
import type { AccountSettings } from "../auth/users.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { clearSessionCookie } from "../http/session-cookie.js";
import { UserSchema, bearerSecurity, errorResponses, toIsoTime, toUserBody } from "./schemas.js";

const AccountSettingsSchema = z
  .object({
    notify_new_cli_sessions: z.boolean().openapi({ description: "Whether a new CLI session of the account mails a notice." }),
    deletion_due_at: z.string().nullable().openapi({ format: "date-time", description: "When the account is deleted, if its deletion was asked for; `null` otherwise." }),
  })
  .openapi("AccountSettings");

const UpdateUserRequest = z
  .object({
    name: z.string().max(100).nullable().optional().openapi({ description: "The display name; `null` or an empty string removes it.", example: "Ada Lovelace" }),
    notify_new_cli_sessions: z.boolean().optional().openapi({ description: "Turn the notice of new CLI sessions on or off." }),
  })
  .openapi("UpdateUserRequest");

const UpdatedUser = z.object({ user: UserSchema, settings: AccountSettingsSchema }).openapi("UpdatedUser");

const DeleteAccountRequest = z
  .object({
    password: z.string().max(1024).optional().openapi({ description: "The account's password. An account without one needs a session made in the last 15 minutes instead." }),
  })
  .openapi("DeleteAccountRequest");

const AccountDeletion = z
  .object({
    state: z.enum(["scheduled", "deleted"]).openapi({ description: "`scheduled`: it is deleted at `due_at` unless you sign in before. `deleted`: it is gone (no grace period)." }),
    due_at: z.string().nullable().openapi({ format: "date-time", description: "When a scheduled deletion happens; `null` once deleted." }),
  })
  .openapi("AccountDeletion");

function toSettingsBody(settings: AccountSettings): z.infer<typeof AccountSettingsSchema> {
  return {
    notify_new_cli_sessions: settings.notifyNewCliSessions,
    deletion_due_at: settings.deletionDueAt === null ? null : toIsoTime(settings.deletionDueAt),
  };
}

export function registerUserRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const getUser = createRoute({
    method: "get",
    path: "/api/v0/user",
    operationId: "getUser",
    tags: ["User"],
    summary: "The current user",
    description: "The account the bearer token (a session or an API token) belongs to.",
    security: bearerSecurity,
    responses: {
      200: { description: "The user.", content: { "application/json": { schema: UserSchema } } },
      ...errorResponses(401),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/user", policy: routePolicies.sessionOrApiToken, jsonBody: false }),
  });
  app.openapi(getUser, (c) => c.json(toUserBody(c.get("auth").user), 200));

  const update = createRoute({
    method: "patch",
    path: "/api/v0/user",
    operationId: "updateUser",
    tags: ["User"],
    summary: "Change my profile",
    description: "Changes the display name and whether new CLI sessions mail a notice. Fields left out stay as they are. Answers the user and their settings.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: UpdateUserRequest } } } },
    responses: {
      200: { description: "Changed.", content: { "application/json": { schema: UpdatedUser } } },
      ...errorResponses(400, 401, 403, 413, 415),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/user", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(update, async (c) => {
    const body = c.req.valid("json");
    const { user, settings } = await updateProfile(
      deps.auth,
      c.get("auth"),
      { name: body.name, notifyNewCliSessions: body.notify_new_cli_sessions },
      requestMeta(c),
    );
    return c.json({ user: toUserBody(user), settings: toSettingsBody(settings) }, 200);
  });

  const settings = createRoute({
    method: "get",
    path: "/api/v0/user/settings",
    operationId: "getUserSettings",
    tags: ["User"],
    summary: "My account settings",
    description: "Whether new CLI sessions mail a notice, and when the account is deleted if that was asked for.",
    security: bearerSecurity,
    responses: {
      200: { description: "The settings.", content: { "application/json": { schema: AccountSettingsSchema } } },
      ...errorResponses(401, 403),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/user/settings", policy: routePolicies.session, jsonBody: false }),
  });
  app.openapi(settings, async (c) => c.json(toSettingsBody(await readAccountSettings(deps.auth, c.get("auth").user.id)), 200));

  const remove = createRoute({
    method: "post",
    path: "/api/v0/user/deletion",
    operationId: "deleteAccount",
    tags: ["User"],
    summary: "Delete my account",
    description:
      "Needs the password again (an account without one: a session made in the last 15 minutes). Revokes every session and API token at once and mails a notice. The account is deleted after the server's grace period (`HARMONT_ACCOUNT_DELETION_GRACE`, 7 days by default); signing in before then keeps it. With no grace period it is deleted at once.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: DeleteAccountRequest } } } },
    responses: {
      200: { description: "Scheduled, or deleted.", content: { "application/json": { schema: AccountDeletion } } },
      ...errorResponses(400, 401, 403, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/user/deletion", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(remove, async (c) => {
    const caller = c.get("auth");
    // Wrong passwords here count with the sign-in failures of the account: no guessing it this way.
    const decision = await deps.rateLimits.loginFailuresPerAccount.consume(caller.user.email);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    const result = await deleteAccount(deps.auth, caller, { password: c.req.valid("json").password }, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_credentials") throw new ApiError("invalid_credentials", "The password is incorrect.");
      throw new ApiError("forbidden", "Sign in again (for example with an email code), then delete the account within 15 minutes.");
    }
    await deps.rateLimits.loginFailuresPerAccount.reset(caller.user.email);
    clearSessionCookie(c, deps.cookie);
    const outcome = result.value;
    return c.json({ state: outcome.state, due_at: outcome.state === "scheduled" ? toIsoTime(outcome.dueAt) : null }, 200);
  });
}
