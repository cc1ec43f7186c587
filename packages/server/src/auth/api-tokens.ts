/**
 * API tokens: named, long-lived credentials for CI and scripts, made by a signed-in person.
 *
 * A token is an `hma_` secret shown once; the database keeps its SHA-256 in the sessions table
 * (kind `api`), so the session check reads it like any session, with no second lookup and no
 * cache. It has no idle timeout: it lives until the expiry chosen at creation (at most the
 * operator's maximum, or never where the operator allows it) or until it is revoked. It has no
 * parent: it outlives the sign-in that made it, and is never "fresh". Routes refuse API tokens
 * unless their policy accepts them, so a token can read who it belongs to but cannot make other
 * tokens, change credentials or approve logins.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { sessionExpiresAt, type Session } from "./sessions.js";
import { cleanSessionName, generateApiToken, generateId, hashSecret } from "./tokens.js";

export interface ApiTokenPolicy {
  /** The longest life a token may be given at creation. */
  maxLifetimeMs: number;
  /** Whether a token may be made with no expiry at all. */
  allowNoExpiry: boolean;
}

/** How many live API tokens one account may hold. */
export const MAX_API_TOKENS_PER_USER = 50;

/**
 * The expiry of a token made "with no expiry": the last millisecond of the year 9999, which every
 * date type can hold. Answers show it as `null`.
 */
export const NO_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const DAY_MS = 24 * 60 * 60_000;

export interface ApiToken {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number;
  /** `null`: it never expires. */
  expiresAt: number | null;
}

/** Whether a row of the sessions table is an API token that still works. */
function isLiveApiToken(row: Session, now: number): boolean {
  return row.kind === "api" && now < sessionExpiresAt(row);
}

export function toApiToken(session: Session): ApiToken {
  const expiresAt = sessionExpiresAt(session);
  return { id: session.id, name: session.name, createdAt: session.createdAt, lastUsedAt: session.lastUsedAt, expiresAt: expiresAt >= NO_EXPIRY ? null : expiresAt };
}

export type CreateApiTokenFailure = "api_token_expiry_too_long" | "api_token_expiry_required" | "api_token_limit_reached" | "account_gone";

/**
 * Makes an API token for the caller and returns it: the only time it exists in the clear.
 * `expiresInDays` is a whole number of days, or `null` for no expiry (only where allowed).
 */
export async function createApiToken(
  deps: AuthDeps,
  caller: Authenticated,
  input: { name: string; expiresInDays: number | null },
  meta: RequestMeta,
): Promise<Result<CreateApiTokenFailure, { token: string; apiToken: ApiToken }>> {
  if (input.expiresInDays === null && !deps.apiTokens.allowNoExpiry) return fail("api_token_expiry_required");
  if (input.expiresInDays !== null && input.expiresInDays * DAY_MS > deps.apiTokens.maxLifetimeMs) return fail("api_token_expiry_too_long");
  const now = deps.clock.now();
  const absoluteExpiresAt = input.expiresInDays === null ? NO_EXPIRY : now + input.expiresInDays * DAY_MS;
  const token = generateApiToken();
  const session: Session = {
    id: generateId("tok"),
    userId: caller.user.id,
    kind: "api",
    name: cleanSessionName(input.name, "API token"),
    parentSessionId: null,
    clientId: null,
    orgId: null,
    impersonatorUserId: null,
    secondFactorPending: false,
    authenticatedAt: null,
    mfaVerifiedAt: null,
    ip: meta.ip,
    lastIp: null,
    userAgent: meta.userAgent ? meta.userAgent.slice(0, 512) : null,
    createdAt: now,
    lastUsedAt: now,
    // No idle timeout: the absolute expiry alone ends it.
    idleTimeoutMs: absoluteExpiresAt - now,
    absoluteExpiresAt,
  };
  const created = await deps.store.transaction(async (store) => {
    // The account's lock: a count and an insert that race with another creation, or with a
    // revocation of everything, are serialised, so the limit holds and nothing survives a disable.
    const user = await store.users.lockForSessionChange(caller.user.id, "exclusive");
    if (!user || user.disabledAt !== null) return "account_gone";
    const live = (await store.sessions.listByUser(caller.user.id)).filter((row) => isLiveApiToken(row, now));
    if (live.length >= MAX_API_TOKENS_PER_USER) return "api_token_limit_reached";
    await store.sessions.insert({ ...session, tokenHash: hashSecret(token) });
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "api_token.created",
      target: session.id,
      detail: { expires_in_days: input.expiresInDays },
    });
    return "created";
  });
  if (created !== "created") return fail(created);
  await deps.notifier.sendApiTokenCreated(caller.user.email, session.name);
  return ok({ token, apiToken: toApiToken(session) });
}

/** The caller's live API tokens, newest first. */
export async function listApiTokens(deps: Pick<AuthDeps, "store" | "clock">, userId: string): Promise<ApiToken[]> {
  const now = deps.clock.now();
  const rows = await deps.store.sessions.listByUser(userId);
  return rows.filter((row) => isLiveApiToken(row, now)).map(toApiToken);
}

/** Revokes one of the caller's API tokens by id; `false` when it is not theirs, not a token, or unknown. */
export async function revokeApiToken(deps: AuthDeps, caller: Authenticated, tokenId: string, meta: RequestMeta): Promise<boolean> {
  return deps.store.transaction(async (store) => {
    const row = await store.sessions.findById(tokenId);
    if (!row || row.userId !== caller.user.id || row.kind !== "api") return false;
    await store.sessions.deleteById(tokenId);
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "api_token.revoked", target: tokenId });
    return true;
  });
}
