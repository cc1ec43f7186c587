/**
 * The middleware every request passes: request id, client IP, the access log line and the
 * security headers. The log line names the route pattern, never the raw URL with its query.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { knownSafeLogLine } from "../log-redaction.js";
import { resolveClientIp } from "./client-ip.js";
import type { AppEnv } from "./context.js";
import { setDefaultHeader } from "./default-headers.js";
import { chooseRequestId } from "./request-id.js";

export function requestContext(options: { logger: Logger; trustProxyHops: number; accessLog: boolean }): MiddlewareHandler<AppEnv> {
  const { trustProxyHops } = options;
  // The access line is built here from fixed fields (a checked request id, the method, the route
  // pattern, status, duration) and never holds a secret, so it skips the logger's redaction pass
  // and its scan for secret-shaped values, which would otherwise run on every request.
  const logger = options.logger.child({}, { redact: { paths: [], censor: "[redacted]" } });
  return async (c, next) => {
    const started = performance.now();
    const requestId = chooseRequestId(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("clientIp", resolveClientIp(c, trustProxyHops));
    // Set before the route runs, as defaults a route may override (e.g. its own Cache-Control),
    // instead of copying a finished response to add them.
    setDefaultHeader(c, "X-Request-Id", requestId);
    setDefaultHeader(c, "X-Content-Type-Options", "nosniff");
    setDefaultHeader(c, "X-Frame-Options", "DENY");
    setDefaultHeader(c, "Referrer-Policy", "no-referrer");
    if (c.req.path.startsWith("/api/")) setDefaultHeader(c, "Cache-Control", "no-store");
    await next();
    if (!options.accessLog) return;
    logger.info(
      {
        [knownSafeLogLine]: true,
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
