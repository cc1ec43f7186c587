/**
 * Sessions: creation, the session check (the hot path of every API call), listing and
 * revocation. A session dies at the earlier of its idle timeout and its absolute lifetime,
 * both enforced here, on the server.
 */
import type { AuditAction } from "./audit-actions.js";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { API_TOKEN_PREFIX, generateId, generateSessionToken, hashSecret, isWellFormedApiToken, isWellFormedSessionToken } from "./tokens.js";
import { defaultOrgOf } from "./orgs.js";
import { recordImpersonationsEnded } from "./impersonation.js";
import type { AuthStore, Clock } from "./types.js";
import type { User } from "./users.js";

/**
 * `web` and `cli` are sign-ins; `api` is an API token (`api-tokens.ts`): a row of the same table,
 * so the session check stays one read, but never listed, cascaded or kept fresh like a session.
 */
export type SessionKind = "web" | "cli" | "api";

export interface Session {
  id: string;
  userId: string;
  kind: SessionKind;
  name: string;
  parentSessionId: string | null;
  /** The OAuth client a device grant issued it to (`harmont-cli`, …); `null` for every other session. */
  clientId: string | null;
  orgId: string | null;
  impersonatorUserId: string | null;
  /** Reserved and never set: a row with it set does not authenticate (fail closed). */
  secondFactorPending: boolean;
  /**
   * When a person last proved a first factor for this session's lineage: the sign-in itself, or,
   * for a child session (a CLI session claimed from a web session), its parent's. `null` means
   * unknown, which is never fresh.
   */
  authenticatedAt: number | null;
  /**
   * When a second factor (a TOTP or backup code, or an approval from another device) was verified
   * for this session's lineage; inherited like `authenticatedAt`. `null`: none was.
   */
  mfaVerifiedAt: number | null;
  /** Where it was made from. */
  ip: string | null;
  /** Where it was last used from, as recorded with `lastUsedAt`; `null` before the first recorded use. */
  lastIp: string | null;
  userAgent: string | null;
  createdAt: number;
  lastUsedAt: number;
  idleTimeoutMs: number;
  absoluteExpiresAt: number;
}

export interface NewSession extends Session {
  tokenHash: string;
}

export interface SessionStore {
  insert(session: NewSession): Promise<void>;
  /**
   * The hot path: one indexed lookup by token hash, joined with the user and with the user's
   * membership of the session's org (`orgRole`; when it is gone, `session.orgId` reads `null`).
   */
  findWithUserByTokenHash(tokenHash: string): Promise<Authenticated | null>;
  /** Sets `last_used_at` (and `last_ip`) unless `last_used_at` is already at least `notBefore`. */
  touch(sessionId: string, now: number, notBefore: number, ip: string | null): Promise<void>;
  findById(sessionId: string): Promise<Session | null>;
  listByUser(userId: string): Promise<Session[]>;
  /** Deletes and returns the session; its grants go with it (foreign key, cascade). */
  deleteByTokenHash(tokenHash: string): Promise<Session | null>;
  deleteById(sessionId: string): Promise<Session | null>;
  /**
   * Deletes every session of the user but `exceptSessionId` (and, with `keepApiTokens`, but the
   * user's API tokens); returns the deleted ids.
   */
  deleteAllForUser(userId: string, options?: { exceptSessionId?: string | undefined; keepApiTokens?: boolean }): Promise<string[]>;
  deleteExpired(now: number): Promise<number>;
  /** Records that the session passed a second factor now (it confirmed two-step verification). */
  markSecondFactorVerified(sessionId: string, now: number): Promise<void>;
  /** Deletes the `web` sessions whose parent is one of `parentIds` (one generation) and returns them. */
  deleteWebChildren(parentIds: string[]): Promise<Session[]>;
}

/** How recent a session's first factor must be for what needs a fresh sign-in. */
export const FRESH_SESSION_MS = 15 * 60_000;

/** Whether the session's lineage proved a first factor in the last 15 minutes. */
export function isFresh(session: Pick<Session, "authenticatedAt">, now: number): boolean {
  return session.authenticatedAt !== null && now - session.authenticatedAt <= FRESH_SESSION_MS;
}

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
  /** See `Session.clientId`. */
  clientId?: string | null;
  /** See `Session.authenticatedAt`. */
  authenticatedAt: number | null;
  /** See `Session.mfaVerifiedAt`. */
  mfaVerifiedAt: number | null;
  /** The active org it starts in. */
  orgId: string | null;
  meta: RequestMeta;
  /** A support session: the operator acting as the user, and its shorter lifetimes. */
  support?: { impersonatorUserId: string; idleTimeoutMs: number; lifetimeMs: number };
  /** The latest it may live until, whatever its kind's lifetime: a session opened from another never outlives it. */
  expiresNoLaterThan?: number;
}

/** Creates a session and returns its token: the only time the token exists in the clear. */
export async function createSession(
  deps: Pick<AuthDeps, "clock" | "lifetimes"> & { store: AuthStore },
  input: CreateSessionInput,
): Promise<{ token: string; session: Session }> {
  const now = deps.clock.now();
  const idle = input.support?.idleTimeoutMs ?? (input.kind === "cli" ? deps.lifetimes.cliSessionIdleMs : deps.lifetimes.webSessionIdleMs);
  const absolute = input.support?.lifetimeMs ?? (input.kind === "cli" ? deps.lifetimes.cliSessionAbsoluteMs : deps.lifetimes.webSessionAbsoluteMs);
  const token = generateSessionToken();
  const session: Session = {
    id: generateId("ses"),
    userId: input.user.id,
    kind: input.kind,
    name: input.name,
    parentSessionId: input.parentSessionId,
    clientId: input.clientId ?? null,
    orgId: input.orgId,
    impersonatorUserId: input.support?.impersonatorUserId ?? null,
    secondFactorPending: false,
    authenticatedAt: input.authenticatedAt,
    mfaVerifiedAt: input.mfaVerifiedAt,
    ip: input.meta.ip,
    lastIp: input.meta.ip,
    userAgent: input.meta.userAgent ? input.meta.userAgent.slice(0, 512) : null,
    createdAt: now,
    lastUsedAt: now,
    idleTimeoutMs: idle,
    absoluteExpiresAt: Math.min(now + absolute, input.expiresNoLaterThan ?? Number.POSITIVE_INFINITY),
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

/** A web session made by a sign-in, named after the browser it was made in. Only `openSignedInSession` calls it. */
export async function createWebSession(
  deps: Pick<AuthDeps, "clock" | "lifetimes" | "store">,
  user: User,
  meta: RequestMeta,
  proven: { authenticatedAt: number; mfaVerifiedAt: number | null },
) {
  const device = describeUserAgent(meta.userAgent);
  return createSession(deps, {
    user,
    kind: "web",
    name: device ? `Web session (${device})` : "Web session",
    parentSessionId: null,
    authenticatedAt: proven.authenticatedAt,
    mfaVerifiedAt: proven.mfaVerifiedAt,
    // The org the person worked in last.
    orgId: await defaultOrgOf(deps.store, user.id),
    meta,
  });
}

/**
 * The session check: one indexed read by token hash (joined with the user). Returns `null` for
 * a malformed, unknown, expired or revoked token, a disabled user, or a row whose reserved
 * `second_factor_pending` is set (fail closed: nothing writes it, so such a row is not a
 * session). An `hma_` API token is checked by the same read. No cache: a revocation is seen by every server process at the next request.
 */
export async function validateSessionToken(deps: Pick<AuthDeps, "store" | "clock">, token: string, ip: string | null = null): Promise<Authenticated | null> {
  const apiToken = token.startsWith(API_TOKEN_PREFIX);
  if (!(apiToken ? isWellFormedApiToken(token) : isWellFormedSessionToken(token))) return null;
  const found = await deps.store.sessions.findWithUserByTokenHash(hashSecret(token));
  if (!found) return null;
  const now = deps.clock.now();
  if (now >= sessionExpiresAt(found.session) || found.user.disabledAt !== null || found.session.secondFactorPending) return null;
  // The prefix and the row agree, or the token is nothing: an `hmt_` token is never an API token.
  if ((found.session.kind === "api") !== apiToken) return null;
  // At most one write a minute, and finer when the idle timeout is short, so that use always
  // keeps a session alive.
  const resolution = Math.min(LAST_USED_RESOLUTION_MS, found.session.idleTimeoutMs / 4);
  if (now - found.session.lastUsedAt >= resolution) {
    await deps.store.sessions.touch(found.session.id, now, now - resolution, ip);
    found.session.lastUsedAt = now;
    found.session.lastIp = ip;
  }
  return found;
}

/**
 * The end of every CLI login (claim or redeem): a new CLI session for the user who authorized
 * it, child of the session that did, recorded in the audit log. It inherits the parent's
 * `authenticatedAt`, so a CLI session made from an old web session is no fresher than it.
 * `null` when the parent session or the user is gone, or the user is disabled. Runs on the
 * caller's transaction store, so the parent is read in the same transaction as the consume.
 */
export async function issueCliSession(
  deps: Pick<AuthDeps, "clock" | "lifetimes">,
  store: AuthStore,
  grant: { userId: string | null; parentSessionId: string | null; name: string; auditAction: AuditAction; clientId?: string },
  meta: RequestMeta,
): Promise<{ token: string; session: Session } | null> {
  if (grant.userId === null || grant.parentSessionId === null) return null;
  // The account's lock (shared), then the parent: a revocation that holds the lock has finished
  // before either is read, so a revoked parent is seen as gone.
  const user = await store.users.lockForSessionChange(grant.userId, "share");
  if (!user || user.disabledAt !== null) return null;
  const parent = await store.sessions.findById(grant.parentSessionId);
  if (!parent || parent.userId !== grant.userId) return null;
  const { token, session } = await createSession(
    { ...deps, store },
    {
      user,
      kind: "cli",
      name: grant.name,
      parentSessionId: parent.id,
      clientId: grant.clientId ?? null,
      authenticatedAt: parent.authenticatedAt,
      mfaVerifiedAt: parent.mfaVerifiedAt,
      orgId: parent.orgId,
      meta,
    },
  );
  await recordAuditEvent({ store, clock: deps.clock }, meta, {
    action: grant.auditAction,
    actorUserId: user.id,
    target: session.id,
    detail: { parent_session_id: grant.parentSessionId },
  });
  return { token, session };
}

/**
 * Browser sessions opened from another session (a support session from an operator's, a browser
 * session from a CLI's) die with it: after revoking `ids`, their `web` children go too, then the
 * children's, at most four generations down. CLI children are never cascaded: a CLI login and the
 * browser session that approved it are revoked apart. Runs on the caller's transaction store.
 */
export async function revokeWebChildren(deps: { store: AuthStore; clock: Clock }, ids: string[], meta: RequestMeta): Promise<Session[]> {
  const revoked: Session[] = [];
  let parents = ids;
  for (let generation = 0; generation < 4 && parents.length > 0; generation++) {
    const children = await deps.store.sessions.deleteWebChildren(parents);
    revoked.push(...children);
    parents = children.map((child) => child.id);
  }
  await recordImpersonationsEnded(deps, revoked.map((child) => child.id), "operator_session_ended", meta);
  return revoked;
}

/**
 * The rest of a logout, once its session is deleted: the browser sessions opened from it go too,
 * a support session's end is recorded, and the logout is audited (with `detail`, when the logout
 * was not the person's own request). Runs on the caller's transaction store.
 */
export async function finishLogout(deps: { store: AuthStore; clock: Clock }, session: Session, meta: RequestMeta, detail?: { reason: string }): Promise<void> {
  await revokeWebChildren(deps, [session.id], meta);
  await recordImpersonationsEnded(deps, [session.id], "logout", meta);
  // The session's grants (parked handoffs, paste codes) went with it: a cascading foreign key.
  await recordAuditEvent(deps, meta, {
    action: "session.logout",
    actorUserId: session.userId,
    target: session.id,
    ...(detail ? { detail } : {}),
  });
}

/** Logout: revokes the session a token belongs to. Idempotent: an unknown token is not an error. */
export async function revokeSessionByToken(deps: AuthDeps, token: string, meta: RequestMeta): Promise<void> {
  await deps.store.transaction(async (store) => {
    const session = await store.sessions.deleteByTokenHash(hashSecret(token));
    if (session) await finishLogout({ store, clock: deps.clock }, session, meta);
  });
}

/** Revokes one of the caller's own sessions by id; `false` when it is not theirs (or unknown). */
export async function revokeOwnSession(deps: AuthDeps, caller: Authenticated, sessionId: string, meta: RequestMeta): Promise<boolean> {
  return deps.store.transaction(async (store) => {
    const session = await store.sessions.findById(sessionId);
    // An API token is revoked as a token (`revokeApiToken`), never as a session.
    if (!session || session.userId !== caller.user.id || session.kind === "api") return false;
    await store.sessions.deleteById(sessionId);
    await revokeWebChildren({ store, clock: deps.clock }, [sessionId], meta);
    // A support session ending itself was stopped; the account's owner revoking it took control back.
    await recordImpersonationsEnded({ store, clock: deps.clock }, [sessionId], sessionId === caller.session.id ? "stopped" : "revoked_by_user", meta);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "session.revoked",
      target: sessionId,
    });
    return true;
  });
}

/**
 * Revokes every session of a user (but `exceptSessionId`, when given) and deletes the user's
 * pending handoffs and paste codes. Used by "sign out everywhere", password change and disable.
 * `scope` says whether the user's API tokens go too: "sign out everywhere" and a password change
 * sign out sign-ins and leave the tokens CI runs on (as GitHub and GitLab do; the tokens are
 * listed beside the sessions); disabling an account, or its reclaim by its mailbox's owner,
 * revokes everything.
 *
 * It holds the account's lock exclusively (`lockForSessionChange`): sign-ins and CLI claims
 * already past their checks finish first and their sessions are revoked here; those that come
 * later wait, and then find their grant or credential gone. Called on a transaction's store,
 * it joins that transaction (a password change sets the new hash under the same lock).
 */
export async function revokeAllUserSessions(
  deps: Pick<AuthDeps, "store" | "clock">,
  userId: string,
  meta: RequestMeta,
  reason: string,
  options: { scope: "sign_ins" | "everything"; exceptSessionId?: string },
): Promise<number> {
  return deps.store.transaction(async (store) => {
    await store.users.lockForSessionChange(userId, "exclusive");
    const revoked = await store.sessions.deleteAllForUser(userId, {
      exceptSessionId: options.exceptSessionId,
      keepApiTokens: options.scope === "sign_ins",
    });
    await revokeWebChildren({ store, clock: deps.clock }, revoked, meta);
    await recordImpersonationsEnded({ store, clock: deps.clock }, revoked, "revoked", meta);
    // Also the approved grants of the session that was kept, reset links and login challenges: nothing made before stays usable.
    await store.grants.deleteByUser(userId, "approved");
    await store.passwordResets.deleteForUser(userId);
    // A sign-in waiting for its second factor started before: it must start again.
    await store.loginChallenges.deleteForUser(userId);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "session.revoked_all",
      actorUserId: userId,
      target: userId,
      detail: { reason, count: revoked.length, scope: options.scope },
    });
    return revoked.length;
  });
}

/** The user's live sign-ins (web and CLI), newest first; API tokens are listed by `listApiTokens`. */
export async function listUserSessions(deps: Pick<AuthDeps, "store" | "clock">, userId: string): Promise<Session[]> {
  const now = deps.clock.now();
  const sessions = await deps.store.sessions.listByUser(userId);
  return sessions.filter((session) => session.kind !== "api" && now < sessionExpiresAt(session));
}
