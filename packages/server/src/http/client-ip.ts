/**
 * The client's IP: the socket's peer, unless the operator says how many proxies to trust.
 * `X-Forwarded-For` is never read otherwise, so a client cannot pick its own rate-limit key.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context.js";

export function resolveClientIp(c: Context<AppEnv>, trustProxyHops: number): string | null {
  const peer = c.env?.incoming?.socket?.remoteAddress ?? null;
  if (trustProxyHops <= 0) return peer;
  const forwarded = c.req.header("x-forwarded-for");
  if (!forwarded) return peer;
  const hops = forwarded
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  // The entry the outermost trusted proxy saw: count trusted hops from the right.
  const index = Math.max(0, hops.length - trustProxyHops);
  return hops[index] ?? peer;
}
