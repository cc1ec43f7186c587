/**
 * createApp(deps): builds the Hono app once, with no globals, so tests can make as many as
 * they like. Every route is declared with @hono/zod-openapi: its zod schemas validate requests
 * and produce the OpenAPI document.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "./app-deps.js";
import { ApiError } from "./errors.js";
import type { AppEnv } from "./http/context.js";
import { createErrorHandler, renderError } from "./http/error-envelope.js";
import { requestContext } from "./http/app-middleware.js";
import { allowedMethodsOf } from "./http/allowed-methods.js";
import { allowWebOrigins } from "./http/cors.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerApiTokenRoutes } from "./routes/api-tokens.js";
import { registerAuthCliRoutes } from "./routes/auth-cli.js";
import { registerCliOpenRoutes } from "./routes/cli-open.js";
import { registerAuthDeviceRoutes } from "./routes/auth-device.js";
import { registerAuthEmailRoutes } from "./routes/auth-email.js";
import { registerAuthPasswordRoutes } from "./routes/auth-password.js";
import { registerAuthSessionRoutes } from "./routes/auth-session.js";
import { registerDevMailRoutes } from "./routes/dev-mail.js";
import { registerDocsRoutes } from "./routes/docs.js";
import { registerMetaRoutes } from "./routes/meta.js";
import { registerOrgRoutes } from "./routes/orgs.js";
import { registerPasswordResetRoutes } from "./routes/password-reset.js";
import { registerSecondFactorRoutes } from "./routes/second-factor.js";
import { createOAuthApp, oauthBasePath } from "./routes/oauth.js";
import { createOpenApiDocument } from "./routes/openapi.js";
import { registerUserRoutes } from "./routes/user.js";
import { registerWebAppRoutes } from "./routes/web-app.js";
import { registerWellKnownRoutes } from "./routes/well-known.js";

export type { AppDeps } from "./app-deps.js";

function describeValidationIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return "The request is invalid.";
  const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  return `${where}: ${issue.message}`;
}

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ApiError("invalid_request", describeValidationIssue(result.error.issues[0]));
    },
  });

  app.use("*", requestContext({ logger: deps.logger, trustProxyHops: deps.config.trustProxyHops, accessLog: deps.config.accessLog }));
  app.use("/api/*", allowWebOrigins({ origins: deps.config.webOrigins }));

  registerMetaRoutes(app, deps);
  registerAuthCliRoutes(app, deps);
  registerCliOpenRoutes(app, deps);
  registerAuthSessionRoutes(app, deps);
  registerApiTokenRoutes(app, deps);
  registerAuthPasswordRoutes(app, deps);
  registerPasswordResetRoutes(app, deps);
  registerSecondFactorRoutes(app, deps);
  registerAuthDeviceRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerAuthEmailRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerOrgRoutes(app, deps);
  registerDevMailRoutes(app, deps);
  app.route(oauthBasePath, createOAuthApp(deps));
  registerWellKnownRoutes(app, deps);
  registerDocsRoutes(app, deps);
  registerWebAppRoutes(app, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A Harmont session bearer token.",
  });
  const servedDocument = JSON.stringify(createOpenApiDocument(app, { serverUrl: deps.config.publicUrl.href.replace(/\/+$/, ""), version: deps.version }));
  app.get("/api/v0/openapi.json", (c) => {
    c.set("routePattern", "/api/v0/openapi.json");
    c.header("Content-Type", "application/json");
    return c.body(servedDocument);
  });

  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return renderError(c, new ApiError("method_not_allowed"), deps.config.docsUrl);
    }
    return renderError(c, new ApiError("not_found"), deps.config.docsUrl);
  });
  app.onError(createErrorHandler({ docsUrl: deps.config.docsUrl, logger: deps.logger, isServiceUnavailable: deps.isServiceUnavailable }));
  return app;
}
