/** The `audit_events` table. */
import type { AuditStore, StoredAuditEvent } from "../auth/audit.js";
import type { AuditEventsTable } from "./schema.js";
import type { Connection } from "./shared.js";

export function toAuditEvent(row: AuditEventsTable): StoredAuditEvent {
  const event: StoredAuditEvent = {
    id: row.id,
    at: row.at,
    action: row.action,
    actorUserId: row.actor_user_id,
    target: row.target,
    ip: row.ip,
    requestId: row.request_id,
  };
  if (row.detail) event.detail = JSON.parse(row.detail) as StoredAuditEvent["detail"];
  return event;
}

export function fromAuditEvent(event: StoredAuditEvent): AuditEventsTable {
  return {
    id: event.id,
    at: event.at,
    action: event.action,
    actor_user_id: event.actorUserId,
    target: event.target,
    ip: event.ip,
    request_id: event.requestId,
    detail: event.detail ? JSON.stringify(event.detail) : null,
  };
}

export function createAuditStore(db: Connection): AuditStore {
  return {
    async record(event) {
      await db.insertInto("audit_events").values(fromAuditEvent(event)).execute();
    },
    async list(filter = {}) {
      let query = db.selectFrom("audit_events").selectAll().orderBy("at").orderBy("id");
      if (filter.actorUserId) query = query.where("actor_user_id", "=", filter.actorUserId);
      if (filter.action) query = query.where("action", "=", filter.action);
      if (filter.since !== undefined) query = query.where("at", ">=", filter.since);
      if (filter.until !== undefined) query = query.where("at", "<=", filter.until);
      const rows = await query.execute();
      return rows.map(toAuditEvent);
    },
  };
}
