/**
 * Form bodies for the OAuth endpoints (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1, RFC 8628
 * §3.1 all send `application/x-www-form-urlencoded`): the same 64 KiB limit as the JSON guard,
 * the form media type required, the body parsed once, and no parameter twice (RFC 6749 §3.1).
 * Every refusal is an OAuthError, so the sub-app answers it in the RFC 6749 shape.
 */
import type { Context, MiddlewareHandler } from "hono";
import { limitBodySize } from "./body.js";
import type { AppEnv } from "./context.js";
import { formBodyRequired, OAuthError } from "./oauth-error.js";
import { limitByIp, type RateLimiter } from "./rate-limit.js";

declare module "hono" {
  interface ContextVariableMap {
    /** The parsed form body, set by requireFormBody(); read it with formBody(c). */
    formBody: URLSearchParams;
  }
}

// `oauth4webapi` sends `application/x-www-form-urlencoded;charset=UTF-8`, without a space.
const formMediaType = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;

/**
 * Requires a form body and parses it.
 *
 * Refuses with `invalid_request`: 415 for another media type (or a body with none), 400 for no
 * body at all, a body that cannot be read, or a parameter sent twice.
 */
export function requireFormBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const contentType = c.req.header("content-type");
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    if (!contentType) {
      if (hasBody) throw new OAuthError("invalid_request", { status: 415, description: formBodyRequired });
      throw new OAuthError("invalid_request", { description: "A form body is required." });
    }
    if (!formMediaType.test(contentType)) throw new OAuthError("invalid_request", { status: 415, description: formBodyRequired });
    let text: string;
    try {
      text = await c.req.text();
    } catch {
      throw new OAuthError("invalid_request", { description: "The request body could not be read." });
    }
    const form = new URLSearchParams(text);
    const names = new Set<string>();
    for (const name of form.keys()) {
      // The parameter is not named in the answer: it is the client's text, and the RFC limits
      // which characters a description may hold.
      if (names.has(name)) throw new OAuthError("invalid_request", { description: "A parameter is sent more than once." });
      names.add(name);
    }
    c.set("formBody", form);
    await next();
  };
}

/** The form body requireFormBody() parsed. Calling it on a route without that guard is a bug. */
export function formBody(c: Context<AppEnv>): URLSearchParams {
  const form = c.get("formBody") as URLSearchParams | undefined;
  if (!form) throw new Error("formBody() on a route without requireFormBody()");
  return form;
}

export interface FormRouteGuardOptions {
  /** The route's full pattern (`/api/v0/oauth/token`), for the access log. */
  path: string;
  ipLimiter?: RateLimiter;
}

/**
 * The checks in front of an OAuth endpoint, in the order of http/route-guards.ts: route and
 * method (the router), body size (413), rate limit (429), then the form (415/400). Client
 * authentication, where an endpoint has it, comes in the handler, on the parsed form.
 */
export function formRouteGuards(options: FormRouteGuardOptions): MiddlewareHandler<AppEnv>[] {
  const guards: MiddlewareHandler<AppEnv>[] = [
    async (c, next) => {
      c.set("routePattern", options.path);
      await next();
    },
    limitBodySize(),
  ];
  if (options.ipLimiter) guards.push(limitByIp(options.ipLimiter));
  guards.push(requireFormBody());
  return guards;
}
