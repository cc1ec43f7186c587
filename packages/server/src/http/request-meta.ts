import type { Context } from "hono";
import type { RequestMeta } from "../auth/context.js";
import type { AppEnv } from "./context.js";

/** Who is asking, for sessions and the audit log: the one place the audit actor comes from. */
export function requestMeta(c: Context<AppEnv>): RequestMeta {
  const auth = c.get("auth") as AppEnv["Variables"]["auth"] | undefined;
  return {
    ip: c.get("clientIp"),
    userAgent: c.req.header("user-agent") ?? null,
    requestId: c.get("requestId"),
    actor: auth ? { userId: auth.user.id, sessionId: auth.session.id, impersonatorUserId: auth.session.impersonatorUserId } : null,
  };
}
