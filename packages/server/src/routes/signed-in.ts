/** How a sign-in is answered: a bearer token in the body, or, for the web app, an HttpOnly cookie. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../app-deps.js";
import type { SignInOutcome } from "../auth/sign-in.js";
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

/** Answers the end of a sign-in (`completeSignIn`), the same way for every sign-in route. */
export function respondSignedIn(c: Context<AppEnv>, deps: AppDeps, signedIn: SignInOutcome, delivery: "token" | "cookie" | undefined) {
  if (signedIn.status === "second_factor_required") {
    // No account can enrol a second factor yet, so no sign-in ends here; the challenge answer
    // arrives with two-step verification. Refuse rather than hand out a session.
    throw new Error("a second factor is required, and second-factor challenges are not available");
  }
  c.header("Cache-Control", "no-store");
  const user = toUserBody(signedIn.user);
  if (delivery === "cookie") {
    setSessionCookie(c, deps.cookie, signedIn.token, signedIn.session.absoluteExpiresAt - signedIn.session.createdAt);
    return { user };
  }
  return { token: signedIn.token, user };
}
