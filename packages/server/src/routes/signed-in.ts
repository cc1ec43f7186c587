/** How a sign-in is answered: a bearer token in the body, or, for the web app, an HttpOnly cookie. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../app-deps.js";
import type { SignedIn } from "../auth/accounts.js";
import type { AppEnv } from "../http/context.js";
import { setSessionCookie } from "../http/session-cookie.js";
import { UserSchema, toUserBody } from "./schemas.js";

export const sessionDelivery = z.enum(["token", "cookie"]).optional().openapi({
  description:
    '"cookie" sets an HttpOnly session cookie for the web app and leaves the token out of the answer; "token" (the default) returns it.',
  example: "token",
});

export const SignedInBody = z
  .object({
    token: z.string().optional().openapi({ description: "A new session token (`hmt_…`); absent when the session went into a cookie." }),
    user: UserSchema,
  })
  .openapi("SignedIn");

export function respondSignedIn(c: Context<AppEnv>, deps: AppDeps, signedIn: SignedIn, delivery: "token" | "cookie" | undefined) {
  c.header("Cache-Control", "no-store");
  const user = toUserBody(signedIn.user);
  if (delivery === "cookie") {
    setSessionCookie(c, deps.cookie, signedIn.token, signedIn.session.absoluteExpiresAt - signedIn.session.createdAt);
    return { user };
  }
  return { token: signedIn.token, user };
}
