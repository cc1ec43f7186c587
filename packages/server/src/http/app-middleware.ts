/**
 * The middleware every request passes: request id, client IP, the access log line and the
 * security headers. The log line names the route pattern, never the raw URL with its query.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { resolveClientIp } from "./client-ip.js";
import type { AppEnv } from "./context.js";
import { chooseRequestId } from "./request-id.js";

export function requestContext(options: { logger: Logger; trustProxyHops: number }): MiddlewareHandler<AppEnv> {
  const { logger, trustProxyHops } = options;
  return async (c, next) => {
    const started = performance.now();
    const requestId = chooseRequestId(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("clientIp", resolveClientIp(c, trustProxyHops));
    await next();
    const headers = c.res.headers;
    headers.set("X-Request-Id", requestId);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "no-referrer");
    if (!headers.has("Cache-Control") && c.req.path.startsWith("/api/")) headers.set("Cache-Control", "no-store");
    logger.info(
      {
        request_id: requestId,
        method: c.req.method,
        route: c.get("routePattern") ?? "(unmatched)",
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
  };
}
