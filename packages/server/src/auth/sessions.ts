/**
 * Sessions: creation, the session check (the hot path of every API call), listing and
 * revocation. A session dies at the earlier of its idle timeout and its absolute lifetime,
 * both enforced here, on the server.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { generateId, generateSessionToken, hashSecret, isWellFormedSessionToken } from "./tokens.js";
import type { AuthStore, Session, SessionKind, User } from "./types.js";

/** `last_used_at` is written at most once a minute, so most checks are a single read. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function sessionExpiresAt(session: Pick<Session, "lastUsedAt" | "idleTimeoutMs" | "absoluteExpiresAt">): number {
  return Math.min(session.lastUsedAt + session.idleTimeoutMs, session.absoluteExpiresAt);
}

export interface CreateSessionInput {
  user: User;
  kind: SessionKind;
  name: string;
  parentSessionId: string | null;
  meta: RequestMeta;
}

/** Creates a session and returns its token: the only time the token exists in the clear. */
export async function createSession(
  deps: Pick<AuthDeps, "clock" | "lifetimes"> & { store: AuthStore },
  input: CreateSessionInput,
): Promise<{ token: string; session: Session }> {
  const now = deps.clock.now();
  const idle = input.kind === "cli" ? deps.lifetimes.cliSessionIdleMs : deps.lifetimes.webSessionIdleMs;
  const absolute = input.kind === "cli" ? deps.lifetimes.cliSessionAbsoluteMs : deps.lifetimes.webSessionAbsoluteMs;
  const token = generateSessionToken();
  const session: Session = {
    id: generateId("ses"),
    userId: input.user.id,
    kind: input.kind,
    name: input.name,
    parentSessionId: input.parentSessionId,
    orgId: null,
    impersonatorUserId: null,
    secondFactorPending: false,
    ip: input.meta.ip,
    userAgent: input.meta.userAgent ? input.meta.userAgent.slice(0, 512) : null,
    createdAt: now,
    lastUsedAt: now,
    idleTimeoutMs: idle,
    absoluteExpiresAt: now + absolute,
  };
  await deps.store.sessions.insert({ ...session, tokenHash: hashSecret(token) });
  return { token, session };
}

/** "Chrome on Linux" from a User-Agent, so people can tell their web sessions apart. */
export function describeUserAgent(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : null;
  const system = /Windows/.test(userAgent)
    ? "Windows"
    : /Android/.test(userAgent)
      ? "Android"
      : /iPhone|iPad/.test(userAgent)
        ? "iOS"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system;
}

/** A web session (password, email code), named after the browser it was made in. */
export function createWebSession(deps: Pick<AuthDeps, "clock" | "lifetimes" | "store">, user: User, meta: RequestMeta) {
  const device = describeUserAgent(meta.userAgent);
  return createSession(deps, { user, kind: "web", name: device ? `Web session (${device})` : "Web session", parentSessionId: null, meta });
}

/**
 * The session check: one indexed read by token hash (joined with the user). Returns `null` for
 * a malformed, unknown, expired or revoked token, or a disabled user. No cache: a revocation is
 * seen by every server process at the next request.
 */
export async function validateSessionToken(deps: Pick<AuthDeps, "store" | "clock">, token: string): Promise<Authenticated | null> {
  if (!isWellFormedSessionToken(token)) return null;
  const found = await deps.store.sessions.findWithUserByTokenHash(hashSecret(token));
  if (!found) return null;
  const now = deps.clock.now();
  if (now >= sessionExpiresAt(found.session) || found.user.disabledAt !== null) return null;
  // At most one write a minute, and finer when the idle timeout is short, so that use always
  // keeps a session alive.
  const resolution = Math.min(LAST_USED_RESOLUTION_MS, found.session.idleTimeoutMs / 4);
  if (now - found.session.lastUsedAt >= resolution) {
    await deps.store.sessions.touch(found.session.id, now, now - resolution);
    found.session.lastUsedAt = now;
  }
  return found;
}

/**
 * The end of every CLI login (claim or redeem): a new CLI session for the user who authorized
 * it, child of the session that did, recorded in the audit log. `null` when the user is gone or
 * disabled. Runs on the caller's transaction store.
 */
export async function issueCliSession(
  deps: Pick<AuthDeps, "clock" | "lifetimes">,
  store: AuthStore,
  grant: { userId: string; parentSessionId: string; name: string; auditAction: string },
  meta: RequestMeta,
): Promise<{ token: string } | null> {
  const user = await store.users.findById(grant.userId);
  if (!user || user.disabledAt !== null) return null;
  const { token, session } = await createSession(
    { ...deps, store },
    { user, kind: "cli", name: grant.name, parentSessionId: grant.parentSessionId, meta },
  );
  await recordAuditEvent({ store, clock: deps.clock }, meta, {
    action: grant.auditAction,
    actorUserId: user.id,
    target: session.id,
    detail: { parent_session_id: grant.parentSessionId },
  });
  return { token };
}

/** Pending handoffs and paste codes made by these sessions die with them. */
async function deletePendingMadeBy(store: AuthStore, sessionIds: string[]): Promise<void> {
  await store.handoffs.deleteParkedBySessions(sessionIds);
  await store.pasteCodes.deleteBySessions(sessionIds);
}

/** Logout: revokes the session a token belongs to. Idempotent: an unknown token is not an error. */
export async function revokeSessionByToken(deps: AuthDeps, token: string, meta: RequestMeta): Promise<void> {
  await deps.store.transaction(async (store) => {
    const session = await store.sessions.deleteByTokenHash(hashSecret(token));
    if (!session) return;
    await deletePendingMadeBy(store, [session.id]);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "session.logout",
      actorUserId: session.userId,
      target: session.id,
    });
  });
}

/** Revokes one of the caller's own sessions by id; `false` when it is not theirs (or unknown). */
export async function revokeOwnSession(deps: AuthDeps, caller: Authenticated, sessionId: string, meta: RequestMeta): Promise<boolean> {
  return deps.store.transaction(async (store) => {
    const session = await store.sessions.findById(sessionId);
    if (!session || session.userId !== caller.user.id) return false;
    await store.sessions.deleteById(sessionId);
    await deletePendingMadeBy(store, [sessionId]);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "session.revoked",
      actorUserId: caller.user.id,
      target: sessionId,
    });
    return true;
  });
}

/**
 * Revokes every session of a user (but `exceptSessionId`, when given) and deletes the user's
 * pending handoffs and paste codes. Used by "sign out everywhere", password change and disable.
 */
export async function revokeAllUserSessions(
  deps: Pick<AuthDeps, "store" | "clock">,
  userId: string,
  meta: RequestMeta,
  reason: string,
  exceptSessionId?: string,
): Promise<number> {
  return deps.store.transaction(async (store) => {
    const revoked = await store.sessions.deleteAllForUser(userId, exceptSessionId);
    await store.handoffs.deleteParkedByUser(userId);
    await store.pasteCodes.deleteByUser(userId);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "session.revoked_all",
      actorUserId: userId,
      target: userId,
      detail: { reason, count: revoked.length },
    });
    return revoked.length;
  });
}

export async function listUserSessions(deps: Pick<AuthDeps, "store" | "clock">, userId: string): Promise<Session[]> {
  const now = deps.clock.now();
  const sessions = await deps.store.sessions.listByUser(userId);
  return sessions.filter((session) => now < sessionExpiresAt(session));
}
