/**
 * Headers every answer carries unless its route sets its own (security headers, the request id,
 * `Cache-Control: no-store` on the API).
 *
 * Served by `@hono/node-server`, they go straight onto Node's response, which `writeHead` later
 * merges with the route's headers (the route's value wins). That spares every request a WHATWG
 * `Headers` object, which costs more than the rest of a small answer. Without Node's response
 * (the app called in-process, as tests do) they go through Hono's `c.header`, with the same result.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context.js";

export function setDefaultHeader(c: Context<AppEnv>, name: string, value: string): void {
  const outgoing = c.env?.outgoing;
  if (outgoing && !outgoing.headersSent) outgoing.setHeader(name, value);
  else c.header(name, value);
}
