/**
 * The audit log: every sign-in, failure, handoff, logout and revocation. Never a secret.
 *
 * Who acted is derived here, in one place, from the request: an event recorded for a signed-in
 * request names that session's user unless the call says otherwise (a sign-in names the account
 * it signed into, a failure the account that was tried). When the request's session is a
 * support session, the event also names the operator behind it.
 */
import type { AuditAction } from "./audit-actions.js";
import type { RequestMeta } from "./context.js";
import { generateId } from "./tokens.js";
import type { AuthStore, Clock } from "./types.js";

export interface AuditEvent {
  action: string;
  actorUserId: string | null;
  target: string | null;
  ip: string | null;
  requestId: string | null;
  /** Extra facts; never a secret. */
  detail?: Record<string, string | number | boolean | null>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  at: number;
}

export interface AuditStore {
  record(event: StoredAuditEvent): Promise<void>;
  /** In time order; `since` and `until` (inclusive) bound the time. */
  list(filter?: { actorUserId?: string; action?: string; since?: number; until?: number }): Promise<StoredAuditEvent[]>;
}

/** What a call site says about an event; the actor defaults to the request's signed-in user. */
export interface AuditRecord {
  /** One of the table in `audit-actions.ts`: an action without a meaning there does not compile. */
  action: AuditAction;
  target: string | null;
  /** Set only when the actor is not the request's own user (or there is none). */
  actorUserId?: string | null;
  detail?: AuditEvent["detail"];
}

export async function recordAuditEvent(deps: { store: AuthStore; clock: Clock }, meta: RequestMeta, record: AuditRecord): Promise<void> {
  const impersonator = meta.actor?.impersonatorUserId ?? null;
  const detail = impersonator === null ? record.detail : { ...record.detail, impersonator_user_id: impersonator };
  const event: StoredAuditEvent = {
    id: generateId("aud"),
    at: deps.clock.now(),
    action: record.action,
    actorUserId: record.actorUserId !== undefined ? record.actorUserId : (meta.actor?.userId ?? null),
    target: record.target,
    ip: meta.ip,
    requestId: meta.requestId,
  };
  if (detail !== undefined) event.detail = detail;
  await deps.store.audit.record(event);
}
