/** The per-request variables every middleware and route can read. */
import type { HttpBindings } from "@hono/node-server";
import type { Authenticated } from "../auth/context.js";

export interface AppVariables {
  requestId: string;
  /** The route pattern that matched (never the raw URL), for logs. */
  routePattern: string;
  clientIp: string | null;
  auth: Authenticated;
}

export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: AppVariables;
}
