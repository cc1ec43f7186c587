import type { Context } from "hono";
import type { RequestMeta } from "../auth/context.js";
import type { AppEnv } from "./context.js";

/** Who is asking, for sessions and the audit log. */
export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return { ip: c.get("clientIp"), userAgent: c.req.header("user-agent") ?? null, requestId: c.get("requestId") };
}
