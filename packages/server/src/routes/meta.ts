/** Public metadata, so clients (the CLI) can find the web app and the docs. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import type { AppEnv } from "../http/context.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";

const Meta = z
  .object({
    version: z.string().openapi({ example: "0.1.0" }),
    web_url: z.string().openapi({ description: "Where the web app is.", example: "http://localhost:8080" }),
    docs_url: z.string().openapi({ description: "Where the docs are.", example: "http://localhost:8080/docs" }),
  })
  .openapi("Meta");

export function registerMetaRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const meta = createRoute({
    method: "get",
    path: "/api/v0/meta",
    operationId: "getMeta",
    tags: ["Meta"],
    summary: "Server metadata",
    description: "The server's version and where its web app and docs live. Public.",
    responses: { 200: { description: "Metadata.", content: { "application/json": { schema: Meta } } } },
    middleware: routeGuards(deps.guard, { path: "/api/v0/meta", policy: routePolicies.public, jsonBody: false }),
  });
  const body = {
    version: deps.version,
    web_url: deps.config.publicUrl.href.replace(/\/+$/, ""),
    docs_url: deps.config.docsUrl,
  };
  app.openapi(meta, (c) => c.json(body, 200));
}
