/**
 * The OAuth sub-app, mounted at `/api/v0/oauth`: the RFC 8628 device grant, RFC 7009
 * revocation and RFC 7662 introspection endpoints (routes/oauth-endpoints.ts), and the dialect
 * every one of them answers in (http/oauth-error.ts): its own error handler, and its own answer
 * to a path or method it does not serve, so nothing under the prefix ever falls through to the
 * main app's envelope.
 *
 * Endpoints are registered in createOAuthApp, between the default headers and the catch-all,
 * with `formRouteGuards` (http/form-body.ts) in front of each POST.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
import { allowedMethodsOf } from "../http/allowed-methods.js";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Handler } from "hono";
import type { AppDeps } from "../app-deps.js";
import type { AppEnv } from "../http/context.js";
import { setDefaultHeader } from "../http/default-headers.js";
import { createOAuthErrorHandler, OAuthError, renderOAuthError } from "../http/oauth-error.js";
import { registerOAuthEndpoints } from "./oauth-endpoints.js";

/** Where the main app mounts the sub-app. */
export const oauthBasePath = "/api/v0/oauth";

export interface OAuthAppOptions {
  /**
   * Registers more routes after the app's own and before the catch-all (routes added to a Hono
   * app after it is mounted are not seen). Tests add their routes here.
   */
  routes?: (oauth: OpenAPIHono<AppEnv>) => void;
}

/** The catch-all: 405 with `Allow` for a path the sub-app serves with other methods, else 404. */
function answerUnmatched(oauth: OpenAPIHono<AppEnv>): Handler<AppEnv> {
  const allowedMethods = allowedMethodsOf(oauth);
  return (c) => {
    const path = c.req.path.startsWith(oauthBasePath) ? c.req.path.slice(oauthBasePath.length) || "/" : c.req.path;
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      return renderOAuthError(c, new OAuthError("invalid_request", { status: 405, description: "This endpoint does not accept this method.", headers: { Allow: allowed.join(", ") } }));
    }
    return renderOAuthError(c, new OAuthError("not_found"));
  };
}

/**
 * Builds the sub-app. Mount it with `app.route(oauthBasePath, createOAuthApp(deps))` before any
 * catch-all of the main app; its own catch-all then answers every path under the prefix.
 */
export function createOAuthApp(deps: AppDeps, options: OAuthAppOptions = {}): OpenAPIHono<AppEnv> {
  const oauth = new OpenAPIHono<AppEnv>();

  // RFC 6749 §5.1: token answers are never cached. Set as defaults, which an endpoint may override.
  oauth.use("*", async (c, next) => {
    setDefaultHeader(c, "Cache-Control", "no-store");
    setDefaultHeader(c, "Pragma", "no-cache");
    await next();
  });

  registerOAuthEndpoints(oauth, deps);
  options.routes?.(oauth);

  oauth.all("*", answerUnmatched(oauth));
  // Set before mounting: Hono wraps each route in the sub-app's handler when it is mounted.
  oauth.onError(createOAuthErrorHandler({ logger: deps.logger, isServiceUnavailable: deps.isServiceUnavailable }));
  return oauth;
}
