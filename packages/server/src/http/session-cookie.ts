/**
 * The web app's session cookie: HttpOnly (page scripts cannot read it), SameSite=Lax, Path=/,
 * and Secure with the `__Host-` prefix when the public URL is https.
 */
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "./context.js";

export interface SessionCookieSettings {
  name: string;
  secure: boolean;
}

export function sessionCookieSettings(publicUrl: URL): SessionCookieSettings {
  const secure = publicUrl.protocol === "https:";
  return { name: secure ? "__Host-harmont_session" : "harmont_session", secure };
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
