/**
 * `GET /api/v0/dev/mail`: the development inbox (see `email/dev-inbox.ts`), read by the web app's
 * `/dev/mail` page. Registered in development only, so production answers 404, and answered only
 * to a client on this machine (a loopback address), so a development server reachable from a
 * network does not hand its sign-in codes to it. Not part of the published API: it is left out of
 * the OpenAPI document and the SDK.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { isLoopbackHost } from "../config.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { routeGuards, routePolicies } from "../http/route-guards.js";
import { toIsoTime } from "./schemas.js";

export const DEV_MAIL_PATH = "/api/v0/dev/mail";

export function registerDevMailRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const inbox = deps.devInbox;
  if (!inbox) return;
  app.use(DEV_MAIL_PATH, ...routeGuards(deps.guard, { path: DEV_MAIL_PATH, policy: routePolicies.public, jsonBody: false }));
  app.get(DEV_MAIL_PATH, (c) => {
    const clientIp = (c.get("clientIp") ?? "").replace(/^::ffff:/, "");
    if (!isLoopbackHost(clientIp)) throw new ApiError("not_found");
    c.header("Cache-Control", "no-store");
    const messages = inbox.list().map((mail) => ({ id: mail.id, sent_at: toIsoTime(mail.sentAt), to: mail.to, subject: mail.subject, text: mail.text }));
    return c.json({ messages }, 200);
  });
}
