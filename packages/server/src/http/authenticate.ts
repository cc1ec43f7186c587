/**
 * Authentication middleware. Only `Authorization: Bearer <token>` and the web app's HttpOnly
 * session cookie authenticate: a token in a query string or a body is never read. A request
 * authenticated by the cookie that changes anything must come from an allowed web origin
 * (`Origin` header), which is the CSRF defence for the cookie.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuthDeps } from "../auth/context.js";
import { isFresh, validateSessionToken, type SessionKind } from "../auth/sessions.js";
import { isWellFormedBearerToken } from "../auth/tokens.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";
import { readCookie } from "./session-cookie.js";

export interface AuthGuardDeps extends Pick<AuthDeps, "store" | "clock"> {
  /** Origins allowed to make cookie-authenticated writes. */
  webOrigins: readonly string[];
  cookieName: string;
}

/** The token of an `Authorization: Bearer <token>` header, or `null`. The scheme is case-insensitive (RFC 7235). */
export function readBearerToken(header: string | undefined): string | null {
  if (!header || header.length > 1024) return null;
  const space = header.indexOf(" ");
  if (space !== 6 || header.slice(0, 6).toLowerCase() !== "bearer") return null;
  const token = header.slice(7).trim();
  return token === "" ? null : token;
}

export type Credential = { token: string; via: "bearer" | "cookie" };

/** The request's credential: the Authorization header wins over the cookie. */
export function readCredential(c: Context<AppEnv>, cookieName: string): Credential | null {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const token = readBearerToken(header);
    return token ? { token, via: "bearer" } : null;
  }
  const cookie = readCookie(c, cookieName);
  return cookie ? { token: cookie, via: "cookie" } : null;
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

function checkCookieOrigin(c: Context<AppEnv>, credential: Credential, webOrigins: readonly string[]): void {
  if (credential.via !== "cookie" || safeMethods.has(c.req.method)) return;
  const origin = c.req.header("origin");
  if (!origin || !webOrigins.includes(origin)) {
    throw new ApiError("forbidden", "A cookie-authenticated change must come from the web app's origin.");
  }
}

/**
 * What a route needs of its caller, declared once beside the route; `enforceRoutePolicy` is the
 * only place that decides it. Later needs (an org role, "not during a support session") are
 * further fields here.
 */
export type RoutePolicy =
  /** Anyone. */
  | { authentication: "public" }
  /** A credential with a token's shape, live or not (logout is idempotent). */
  | { authentication: "credential" }
  /**
   * A live session, optionally of one kind, optionally fresh (a first factor in the last 15
   * minutes). An API token is refused unless `acceptsApiToken`: only routes that read what a
   * token may see take one, so a new route is closed to tokens until it says otherwise.
   */
  | {
      authentication: "session";
      sessionKind?: Exclude<SessionKind, "api">;
      fresh?: boolean;
      acceptsApiToken?: boolean;
      /**
       * A support session (an operator acting as the user) may read (GET) and nothing else, unless
       * the route says `"allow"` (switching org, revoking itself); `"deny"` refuses it reads too.
       */
      impersonation?: "deny" | "allow";
      /** Only a session that passed two-step verification itself (approving another device's sign-in). */
      secondFactorVerified?: boolean;
    };

/** The policies routes use most, by name. */
export const routePolicies = {
  public: { authentication: "public" },
  credential: { authentication: "credential" },
  session: { authentication: "session" },
  sessionOrApiToken: { authentication: "session", acceptsApiToken: true },
  /** A write a support session may make too (navigation, ending itself). */
  sessionOrSupport: { authentication: "session", impersonation: "allow" },
  /** Changes to how the account signs in (two-step verification): the user's own session, never a support session. */
  ownSession: { authentication: "session", impersonation: "deny" },
  /** Deciding another device's sign-in: a session that passed two-step verification, not a support session. */
  approver: { authentication: "session", impersonation: "deny", secondFactorVerified: true },
} as const satisfies Record<string, RoutePolicy>;

/** Checks a route's policy and, for a session, sets `auth` (the request's session and user). */
export function enforceRoutePolicy(deps: AuthGuardDeps, policy: RoutePolicy): MiddlewareHandler<AppEnv> | null {
  if (policy.authentication === "public") return null;
  if (policy.authentication === "credential") {
    return async (c, next) => {
      const credential = readCredential(c, deps.cookieName);
      if (!credential || !isWellFormedBearerToken(credential.token)) throw new ApiError("unauthorized");
      checkCookieOrigin(c, credential, deps.webOrigins);
      await next();
    };
  }
  return async (c, next) => {
    const credential = readCredential(c, deps.cookieName);
    if (!credential) throw new ApiError("unauthorized");
    const auth = await validateSessionToken(deps, credential.token, c.get("clientIp"));
    if (!auth) throw new ApiError("unauthorized");
    checkCookieOrigin(c, credential, deps.webOrigins);
    if (auth.session.kind === "api") {
      // A token is a bearer credential for scripts; the web app's cookie never holds one.
      if (credential.via === "cookie") throw new ApiError("unauthorized");
      if (!policy.acceptsApiToken) {
        throw new ApiError("forbidden", "An API token cannot do this. Use a signed-in session: `harmont login`, or the web app.");
      }
    }
    if (policy.sessionKind !== undefined && auth.session.kind !== policy.sessionKind) {
      throw new ApiError("forbidden", `This needs a ${policy.sessionKind === "cli" ? "CLI" : "web"} session.`);
    }
    if (policy.fresh && !isFresh(auth.session, deps.clock.now())) {
      throw new ApiError("forbidden", "This needs a recent sign-in: sign in again, then retry.");
    }
    // A support session reads; it changes nothing unless the route allows it (fail closed for new routes).
    if (auth.session.impersonatorUserId !== null) {
      if (policy.impersonation === "deny" || (policy.impersonation !== "allow" && !safeMethods.has(c.req.method))) throw new ApiError("impersonation_forbidden");
    }
    if (policy.secondFactorVerified && auth.session.mfaVerifiedAt === null) {
      throw new ApiError("forbidden", "Only a session that passed two-step verification can do this.");
    }
    c.set("auth", auth);
    await next();
  };
}
