/**
 * The web app's session cookie: HttpOnly (page scripts cannot read it), SameSite=Lax, Path=/,
 * and Secure with the `__Host-` prefix when the public URL is https.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "./context.js";

export interface SessionCookieSettings {
  name: string;
  secure: boolean;
}

export function sessionCookieSettings(publicUrl: URL): SessionCookieSettings {
  const secure = publicUrl.protocol === "https:";
  return { name: secure ? "__Host-harmont_session" : "harmont_session", secure };
}

/** A cookie of the request by name; `null` when absent (and no parsing at all without a Cookie header). */
export function readCookie(c: Context<AppEnv>, name: string): string | null {
  return (c.req.header("cookie") ? getCookie(c, name) : undefined) ?? null;
}

export function setSessionCookie(c: Context<AppEnv>, settings: SessionCookieSettings, token: string, maxAgeMs: number): void {
  setCookie(c, settings.name, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: settings.secure,
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(c: Context<AppEnv>, settings: SessionCookieSettings): void {
  deleteCookie(c, settings.name, { path: "/", secure: settings.secure, httpOnly: true, sameSite: "Lax" });
}

/**
 * While an operator works in a support session from the web app, their own session waits in a
 * second cookie that only the "end support session" call is sent (its path), and that nothing
 * reads as a credential, so it authenticates nothing by itself. `__Host-` needs `Path=/`, so over
 * https the name takes `__Secure-` instead.
 */
export const operatorCookiePath = "/api/v0/admin/impersonations";

export function operatorCookieName(settings: SessionCookieSettings): string {
  return settings.secure ? "__Secure-harmont_operator_session" : "harmont_operator_session";
}

export function setOperatorCookie(c: Context<AppEnv>, settings: SessionCookieSettings, token: string, maxAgeMs: number): void {
  setCookie(c, operatorCookieName(settings), token, {
    httpOnly: true,
    sameSite: "Strict",
    path: operatorCookiePath,
    secure: settings.secure,
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  });
}

export function readOperatorCookie(c: Context<AppEnv>, settings: SessionCookieSettings): string | null {
  return readCookie(c, operatorCookieName(settings));
}

export function clearOperatorCookie(c: Context<AppEnv>, settings: SessionCookieSettings): void {
  deleteCookie(c, operatorCookieName(settings), { path: operatorCookiePath, secure: settings.secure, httpOnly: true, sameSite: "Strict" });
}
