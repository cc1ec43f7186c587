/** Row ↔ record mapping: one function per table, so snake_case never leaks into the domain. */
import type { Handoff, HandoffState, PasteCode, Session, SessionKind, StoredAuditEvent, User, UserWithPassword } from "../auth/types.js";
import type { AuditEventsTable, CliHandoffsTable, CliPasteCodesTable, SessionsTable, UsersTable } from "./schema.js";

export function toUser(row: UsersTable): UserWithPassword {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    emailVerifiedAt: row.email_verified_at,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}

export function fromUser(user: UserWithPassword): UsersTable {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    password_hash: user.passwordHash,
    email_verified_at: user.emailVerifiedAt,
    disabled_at: user.disabledAt,
    created_at: user.createdAt,
    updated_at: user.createdAt,
  };
}

export function toSession(row: Omit<SessionsTable, "token_hash">): Session {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind as SessionKind,
    name: row.name,
    parentSessionId: row.parent_session_id,
    orgId: row.org_id,
    impersonatorUserId: row.impersonator_user_id,
    secondFactorPending: Number(row.second_factor_pending) === 1,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    idleTimeoutMs: row.idle_timeout_ms,
    absoluteExpiresAt: row.absolute_expires_at,
  };
}

export function fromSession(session: Session & { tokenHash: string }): SessionsTable {
  return {
    id: session.id,
    token_hash: session.tokenHash,
    user_id: session.userId,
    kind: session.kind,
    name: session.name,
    parent_session_id: session.parentSessionId,
    org_id: session.orgId,
    impersonator_user_id: session.impersonatorUserId,
    second_factor_pending: session.secondFactorPending ? 1 : 0,
    ip: session.ip,
    user_agent: session.userAgent,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    idle_timeout_ms: session.idleTimeoutMs,
    absolute_expires_at: session.absoluteExpiresAt,
  };
}

/** The columns of the session check: the session (without its hash) and its user. */
export interface SessionWithUserRow extends Omit<SessionsTable, "token_hash"> {
  user_email: string;
  user_name: string | null;
  user_email_verified_at: number | null;
  user_disabled_at: number | null;
  user_created_at: number;
}

/** The session check's select list, in order: the SQL expression and the row field it fills. */
export const sessionWithUserSelect = [
  ["s.id", "id"],
  ["s.user_id", "user_id"],
  ["s.kind", "kind"],
  ["s.name", "name"],
  ["s.parent_session_id", "parent_session_id"],
  ["s.org_id", "org_id"],
  ["s.impersonator_user_id", "impersonator_user_id"],
  ["s.second_factor_pending", "second_factor_pending"],
  ["s.ip", "ip"],
  ["s.user_agent", "user_agent"],
  ["s.created_at", "created_at"],
  ["s.last_used_at", "last_used_at"],
  ["s.idle_timeout_ms", "idle_timeout_ms"],
  ["s.absolute_expires_at", "absolute_expires_at"],
  ["u.email", "user_email"],
  ["u.name", "user_name"],
  ["u.email_verified_at", "user_email_verified_at"],
  ["u.disabled_at", "user_disabled_at"],
  ["u.created_at", "user_created_at"],
] as const satisfies ReadonlyArray<readonly [string, keyof SessionWithUserRow]>;

/** The session check's SQL; `placeholder` is `?` on SQLite and `$1` on PostgreSQL. */
export function sessionWithUserSql(placeholder: string): string {
  const columns = sessionWithUserSelect.map(([expression, field]) => `${expression} as ${field}`).join(", ");
  return `select ${columns} from sessions s join users u on u.id = s.user_id where s.token_hash = ${placeholder}`;
}

/**
 * A session-check row read as an array of values in select order. Both drivers hand out arrays
 * far more cheaply than objects with named columns, and this is the hottest read there is.
 */
export function sessionWithUserFromValues(values: readonly unknown[]): { session: Session; user: User } {
  const row: Partial<Record<keyof SessionWithUserRow, unknown>> = {};
  for (let index = 0; index < sessionWithUserSelect.length; index++) row[sessionWithUserSelect[index]![1]] = values[index];
  return toSessionWithUser(row as SessionWithUserRow);
}

/** Whether a live handoff exists for a nonce hash (placeholders as above). */
export function pendingHandoffSql(hash: string, now: string): string {
  return `select 1 from cli_handoffs where nonce_hash = ${hash} and expires_at > ${now}`;
}

/** Whether a live paste code exists for a code hash. */
export function pendingPasteCodeSql(hash: string, now: string): string {
  return `select 1 from cli_paste_codes where code_hash = ${hash} and expires_at > ${now}`;
}

export function toSessionWithUser(row: SessionWithUserRow): { session: Session; user: User } {
  return {
    session: toSession(row),
    user: {
      id: row.user_id,
      email: row.user_email,
      name: row.user_name,
      emailVerifiedAt: row.user_email_verified_at,
      disabledAt: row.user_disabled_at,
      createdAt: row.user_created_at,
    },
  };
}

export function toHandoff(row: CliHandoffsTable): Handoff {
  return {
    nonceHash: row.nonce_hash,
    state: row.state as HandoffState,
    userId: row.user_id,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function fromHandoff(handoff: Handoff): CliHandoffsTable {
  return {
    nonce_hash: handoff.nonceHash,
    state: handoff.state,
    user_id: handoff.userId,
    session_id: handoff.sessionId,
    created_at: handoff.createdAt,
    expires_at: handoff.expiresAt,
  };
}

export function toPasteCode(row: CliPasteCodesTable): PasteCode {
  return {
    codeHash: row.code_hash,
    userId: row.user_id,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function fromPasteCode(code: PasteCode): CliPasteCodesTable {
  return {
    code_hash: code.codeHash,
    user_id: code.userId,
    session_id: code.sessionId,
    created_at: code.createdAt,
    expires_at: code.expiresAt,
  };
}

export function toAuditEvent(row: AuditEventsTable): StoredAuditEvent {
  return {
    id: row.id,
    at: row.at,
    action: row.action,
    actorUserId: row.actor_user_id,
    target: row.target,
    ip: row.ip,
    requestId: row.request_id,
    detail: row.detail ? (JSON.parse(row.detail) as StoredAuditEvent["detail"]) : undefined,
  };
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
