/**
 * The checks in front of every route, in one fixed order: route and method (the router),
 * body size, rate limit, the route's policy (authentication and what it needs of the session),
 * media type, then the zod schema (the validator).
 * So a token smuggled in a form body meets a 401 before anything looks at the body.
 */
import type { MiddlewareHandler } from "hono";
import { enforceRoutePolicy, type AuthGuardDeps, type RoutePolicy } from "./authenticate.js";
import { limitBodySize, requireJsonBody } from "./body.js";
import type { AppEnv } from "./context.js";
import { limitByIp, type RateLimiter } from "./rate-limit.js";

export { routePolicies, type RoutePolicy } from "./authenticate.js";

export interface RouteGuardOptions {
  path: string;
  /** What the route needs of its caller (see `RoutePolicy`). */
  policy: RoutePolicy;
  jsonBody: boolean;
  ipLimiter?: RateLimiter;
}

export function routeGuards(auth: AuthGuardDeps, options: RouteGuardOptions): MiddlewareHandler<AppEnv>[] {
  const pattern = options.path.replaceAll(/\{(\w+)\}/g, ":$1");
  const checks: MiddlewareHandler<AppEnv>[] = [];
  if (options.jsonBody) checks.push(limitBodySize());
  if (options.ipLimiter) checks.push(limitByIp(options.ipLimiter));
  const policy = enforceRoutePolicy(auth, options.policy);
  if (policy) checks.push(policy);
  if (options.jsonBody) checks.push(requireJsonBody());
  // The route pattern (for the access log) is set by the first check itself rather than by a
  // middleware of its own: one step fewer on every request.
  const [first, ...rest] = checks;
  const named: MiddlewareHandler<AppEnv> = first
    ? (c, next) => {
        c.set("routePattern", pattern);
        return first(c, next);
      }
    : async (c, next) => {
        c.set("routePattern", pattern);
        await next();
      };
  return [named, ...rest];
}
