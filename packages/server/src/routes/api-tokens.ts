/** API tokens: make one (shown once), list them with their last use, revoke one. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { createApiToken, listApiTokens, revokeApiToken, type ApiToken } from "../auth/api-tokens.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { bearerSecurity, errorResponses, toIsoTime } from "./schemas.js";

const ApiTokenSchema = z
  .object({
    id: z.string().openapi({ example: "tok_Qm3vX8kP2sR7nW4yB1cZ" }),
    name: z.string().openapi({ example: "GitHub Actions deploy" }),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().openapi({ format: "date-time", description: "When it last authenticated a request (updated at most once a minute)." }),
    expires_at: z.string().nullable().openapi({ format: "date-time", description: "When it stops working; `null`: never." }),
  })
  .openapi("ApiToken");

const CreateApiTokenRequest = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ description: "What the token is for, shown in the list.", example: "GitHub Actions deploy" }),
    expires_in_days: z.number().int().min(1).nullable().openapi({
      description:
        "Whole days until it expires, up to the server's maximum (`api_token_max_days` in `GET /api/v0/meta`, 365 by default); `null` for no expiry, where the server allows it.",
      example: 90,
    }),
  })
  .openapi("CreateApiTokenRequest");

const CreatedApiToken = z
  .object({
    token: z.string().openapi({ description: "The token (`hma_…`). Shown once: the server keeps only its hash.", example: "hma_…" }),
    api_token: ApiTokenSchema,
  })
  .openapi("CreatedApiToken");

const ApiTokenList = z.object({ tokens: z.array(ApiTokenSchema) }).openapi("ApiTokenList");

function toApiTokenBody(token: ApiToken): z.infer<typeof ApiTokenSchema> {
  return {
    id: token.id,
    name: token.name,
    created_at: toIsoTime(token.createdAt),
    last_used_at: toIsoTime(token.lastUsedAt),
    expires_at: token.expiresAt === null ? null : toIsoTime(token.expiresAt),
  };
}

const tokenPolicyNote = "Needs a signed-in session: an API token cannot make, list or revoke tokens.";

export function registerApiTokenRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const create = createRoute({
    method: "post",
    path: "/api/v0/auth/tokens",
    operationId: "createApiToken",
    tags: ["API tokens"],
    summary: "Make an API token",
    description: `A named token for CI and scripts, with an expiry chosen now. The token is in this answer only; a notice is mailed to the account. It can read the account (\`getSession\`, \`getUser\`) but cannot make tokens, change credentials or approve logins. ${tokenPolicyNote}`,
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: CreateApiTokenRequest } } } },
    responses: {
      201: { description: "Made.", content: { "application/json": { schema: CreatedApiToken } } },
      ...errorResponses(400, 401, 403, 409, 413, 415),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/tokens", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const result = await createApiToken(deps.auth, c.get("auth"), { name: body.name, expiresInDays: body.expires_in_days }, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure === "account_gone" ? "unauthorized" : result.failure);
    c.header("Cache-Control", "no-store");
    return c.json({ token: result.value.token, api_token: toApiTokenBody(result.value.apiToken) }, 201);
  });

  const list = createRoute({
    method: "get",
    path: "/api/v0/auth/tokens",
    operationId: "listApiTokens",
    tags: ["API tokens"],
    summary: "List my API tokens",
    description: `Every live API token of the current user, newest first, with its last use. Never includes a token. ${tokenPolicyNote}`,
    security: bearerSecurity,
    responses: {
      200: { description: "The tokens.", content: { "application/json": { schema: ApiTokenList } } },
      ...errorResponses(401, 403),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/tokens", policy: routePolicies.session, jsonBody: false }),
  });
  app.openapi(list, async (c) => {
    const tokens = await listApiTokens(deps.auth, c.get("auth").user.id);
    return c.json({ tokens: tokens.map(toApiTokenBody) }, 200);
  });

  const revoke = createRoute({
    method: "delete",
    path: "/api/v0/auth/tokens/{id}",
    operationId: "revokeApiToken",
    tags: ["API tokens"],
    summary: "Revoke one of my API tokens",
    description: `Revokes an API token of the current user by its id; it stops working at once. Another user's token id answers 404, like an unknown one. ${tokenPolicyNote}`,
    security: bearerSecurity,
    request: { params: z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "tok_Qm3vX8kP2sR7nW4yB1cZ" }) }) },
    responses: { 204: { description: "Revoked." }, ...errorResponses(400, 401, 403, 404) },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/tokens/{id}", policy: routePolicies.session, jsonBody: false }),
  });
  app.openapi(revoke, async (c) => {
    const revoked = await revokeApiToken(deps.auth, c.get("auth"), c.req.valid("param").id, requestMeta(c));
    if (!revoked) throw new ApiError("not_found", "No such API token.");
    return c.body(null, 204);
  });
}
