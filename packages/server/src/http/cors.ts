/**
 * CORS for the configured web origins only. It does nothing for a request without `Origin` (every
 * CLI and server-to-server call, so the hot path pays nothing), answers preflights itself, and
 * adds its headers before the route runs rather than rewriting the finished response.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import { setDefaultHeader } from "./default-headers.js";

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`) allowed to call the API with credentials. */
  origins: readonly string[];
}

const allowMethods = "GET, POST, PATCH, DELETE, OPTIONS";
const allowHeaders = "Authorization, Content-Type, X-Request-Id";
const exposeHeaders = "X-Request-Id, Retry-After";
const preflightMaxAgeSeconds = "600";

export function allowWebOrigins(options: CorsOptions): MiddlewareHandler<AppEnv> {
  const allowed = new Set(options.origins);
  return async (c, next) => {
    // The answer depends on Origin, so every API answer says so to caches.
    setDefaultHeader(c, "Vary", "Origin");
    const origin = c.req.header("origin");
    if (origin === undefined) return next();
    const permitted = allowed.has(origin);

    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      c.set("routePattern", "(preflight)");
      if (permitted) {
        c.header("Access-Control-Allow-Origin", origin);
        c.header("Access-Control-Allow-Credentials", "true");
        c.header("Access-Control-Allow-Methods", allowMethods);
        c.header("Access-Control-Allow-Headers", allowHeaders);
        c.header("Access-Control-Max-Age", preflightMaxAgeSeconds);
      }
      return c.body(null, 204);
    }

    if (permitted) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Access-Control-Allow-Credentials", "true");
      c.header("Access-Control-Expose-Headers", exposeHeaders);
    }
    return next();
  };
}
