/** How a sign-in is answered: a bearer token in the body, or, for the web app, an HttpOnly cookie. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../app-deps.js";
import type { IssuedLoginChallenge } from "../auth/login-challenges.js";
import type { SignedIn } from "../auth/sign-in.js";
import type { AppEnv } from "../http/context.js";
import { setSessionCookie } from "../http/session-cookie.js";
import { UserSchema, toIsoTime, toUserBody } from "./schemas.js";

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

export const SecondFactorRequiredBody = z
  .object({
    second_factor_required: z.literal(true),
    challenge_token: z.string().openapi({
      description:
        "The `hch_…` token that finishes this sign-in: send it in the body of `verifySecondFactor` (or of the approval calls). It authenticates nothing else, lives 5 minutes, and must never go in a URL.",
      example: "hch_Jx2bGv0Qe8r5s1tWc9kLmNpAa3zYdFhUiO4o6u7X_yw",
    }),
    expires_at: z.string().openapi({ format: "date-time" }),
    methods: z.array(z.enum(["totp", "backup_code", "device_approval"])).openapi({
      description: "The ways to finish it; `device_approval` only when a signed-in device of the account may approve.",
    }),
  })
  .openapi("SecondFactorRequired", { description: "The first factor was right; the account has two-step verification, so no session was made yet." });

export const secondFactorRequiredResponse = {
  description: "The account has two-step verification: finish with a second factor.",
  content: { "application/json": { schema: SecondFactorRequiredBody } },
} as const;

/** Answers a sign-in that stopped at its second step (202): the challenge, never a session. */
export function respondSecondFactorRequired(c: Context<AppEnv>, challenge: IssuedLoginChallenge) {
  c.header("Cache-Control", "no-store");
  return {
    second_factor_required: true as const,
    challenge_token: challenge.token,
    expires_at: toIsoTime(challenge.expiresAt),
    methods: challenge.methods,
  };
}

/** Answers the end of a sign-in, the same way for every sign-in route. */
export function respondSignedIn(c: Context<AppEnv>, deps: AppDeps, signedIn: SignedIn, delivery: "token" | "cookie" | undefined) {
  c.header("Cache-Control", "no-store");
  const user = toUserBody(signedIn.user);
  if (delivery === "cookie") {
    setSessionCookie(c, deps.cookie, signedIn.token, signedIn.session.absoluteExpiresAt - signedIn.session.createdAt);
    return { user };
  }
  return { token: signedIn.token, user };
}
