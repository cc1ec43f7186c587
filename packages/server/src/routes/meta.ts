/**
 * Public metadata, so clients can find the web app and the docs (the CLI) and know how long an
 * approved CLI login waits (the web app); and the two probes a load balancer or an orchestrator
 * asks: health (the process serves) and readiness (it can reach its database).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { databaseRetryAfterSeconds, describeError } from "../http/error-envelope.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { ErrorEnvelope } from "./schemas.js";

const Meta = z
  .object({
    version: z.string().openapi({ example: "0.1.0" }),
    web_url: z.string().openapi({ description: "Where the web app is.", example: "http://localhost:8080" }),
    docs_url: z.string().openapi({ description: "Where the docs are.", example: "http://localhost:8080/docs" }),
    cli_handoff_lifetime_seconds: z
      .number()
      .int()
      .optional()
      .openapi({
        description:
          "How long an approved CLI login waits for its CLI to claim it (`HARMONT_HANDOFF_TTL`). The web app uses it to say when an approval has lapsed. Absent from older servers: assume 60.",
        example: 60,
      }),
    api_token_max_days: z.number().int().optional().openapi({
      description: "The longest expiry, in days, an API token may be given (`HARMONT_API_TOKEN_MAX`).",
      example: 365,
    }),
    api_token_no_expiry: z.boolean().optional().openapi({
      description: "Whether an API token may be made that never expires (`HARMONT_API_TOKEN_NO_EXPIRY`).",
      example: false,
    }),
  })
  .openapi("Meta");

const Health = z
  .object({
    status: z.enum(["ok"]).openapi({ example: "ok" }),
  })
  .openapi("Health");

/**
 * How long readiness waits for the database. A PostgreSQL server that drops packets would
 * otherwise hold the probe until the operating system gives up on the connection, minutes later.
 */
export const readinessTimeoutMs = 2000;

async function pingWithin(ping: () => Promise<void>, milliseconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${milliseconds} ms`)), milliseconds);
  });
  try {
    await Promise.race([ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
    cli_handoff_lifetime_seconds: Math.ceil(deps.config.lifetimes.handoffMs / 1000),
    api_token_max_days: Math.floor(deps.config.apiTokens.maxLifetimeMs / 86_400_000),
    api_token_no_expiry: deps.config.apiTokens.allowNoExpiry,
  };
  app.openapi(meta, (c) => c.json(body, 200));

  const health = createRoute({
    method: "get",
    path: "/api/v0/health",
    operationId: "getHealth",
    tags: ["Meta"],
    summary: "Liveness probe",
    description:
      "Answers 200 while the process serves requests, without touching the database: a load balancer or an orchestrator restarts the process when it stops answering. Public.",
    responses: { 200: { description: "The process serves requests.", content: { "application/json": { schema: Health } } } },
    middleware: routeGuards(deps.guard, { path: "/api/v0/health", policy: routePolicies.public, jsonBody: false }),
  });
  app.openapi(health, (c) => c.json({ status: "ok" as const }, 200));

  const ready = createRoute({
    method: "get",
    path: "/api/v0/ready",
    operationId: "getReady",
    tags: ["Meta"],
    summary: "Readiness probe",
    description: `Answers 200 when the database answers a trivial query within ${readinessTimeoutMs / 1000} s, and 503 while it does not: a load balancer sends traffic only to a ready process, and keeps a process that is alive but not ready (see the health probe) running. Public.`,
    responses: {
      200: { description: "The database answers.", content: { "application/json": { schema: Health } } },
      503: {
        description: "The database does not answer (code `service_unavailable`).",
        headers: {
          "Retry-After": { description: "Seconds to wait before asking again.", schema: { type: "integer", example: databaseRetryAfterSeconds } },
        },
        content: { "application/json": { schema: ErrorEnvelope } },
      },
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/ready", policy: routePolicies.public, jsonBody: false }),
  });
  app.openapi(ready, async (c) => {
    try {
      await pingWithin(deps.pingDatabase, readinessTimeoutMs);
    } catch (error) {
      deps.logger.warn({ request_id: c.get("requestId"), err: describeError(error) }, "not ready: the database does not answer");
      throw new ApiError("service_unavailable", "The database does not answer.", { "Retry-After": String(databaseRetryAfterSeconds) });
    }
    return c.json({ status: "ok" as const }, 200);
  });
}
