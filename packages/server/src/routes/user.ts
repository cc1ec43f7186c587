/** The signed-in user. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import type { AppEnv } from "../http/context.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { UserSchema, bearerSecurity, errorResponses, toUserBody } from "./schemas.js";

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
}
