/** The audit log: every sign-in, failure, handoff, logout and revocation. Never a secret. */
import type { RequestMeta } from "./context.js";
import { generateId } from "./tokens.js";
import type { AuditEvent, AuthStore, Clock } from "./types.js";

export async function recordAuditEvent(
  deps: { store: AuthStore; clock: Clock },
  meta: RequestMeta,
  event: Omit<AuditEvent, "ip" | "requestId">,
): Promise<void> {
  await deps.store.audit.record({
    id: generateId("aud"),
    at: deps.clock.now(),
    ip: meta.ip,
    requestId: meta.requestId,
    ...event,
  });
}
