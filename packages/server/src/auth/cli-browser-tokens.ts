/**
 * The CLI → browser handoff (`harmont open`): a CLI session mints a one-time code, the browser
 * page it opens trades the code for a cookie session of the same account.
 *
 * The code is `hbt_` and 256 bits, a grant of kind `cli_browser_token` owned by the CLI session
 * (so it goes with that session, by the grants table's cascading foreign key), stored as its
 * SHA-256, and live for 60 seconds. Inspecting it consumes nothing; consuming it is one
 * conditional write, so of any number of concurrent consumes one succeeds.
 *
 * The browser session it makes is a `web` child of the CLI session: revoking the CLI session
 * revokes it (`revokeWebChildren`), and its absolute expiry is never later than the CLI
 * session's. It is never fresh (`authenticatedAt` is `null`): whoever holds a CLI token can
 * browse as its user, but must prove a factor again for what asks a recent sign-in.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { redeemGrant, storeDecidedGrant } from "./grants.js";
import { fail, ok, type Result } from "./result.js";
import { createSession, finishLogout, sessionExpiresAt, type Session } from "./sessions.js";
import { generatePrefixedSecret, hashSecret, isWellFormedSecret } from "./tokens.js";
import type { AuthStore } from "./types.js";
import { toPublicUser, type User } from "./users.js";

export const CLI_BROWSER_TOKEN_PREFIX = "hbt_";
export const CLI_BROWSER_TOKEN_TTL_MS = 60_000;

type Invalid = "cli_browser_token_invalid";

/** Mints a code for the caller's CLI session (the route admits only those). */
export async function mintCliBrowserToken(
  deps: Pick<AuthDeps, "store" | "clock">,
  caller: Authenticated,
  meta: RequestMeta,
): Promise<Result<"session_gone", { code: string; expiresAt: number }>> {
  const code = generatePrefixedSecret(CLI_BROWSER_TOKEN_PREFIX);
  const { outcome, grant } = await storeDecidedGrant(deps, {
    kind: "cli_browser_token",
    secretHash: hashSecret(code),
    state: "approved",
    userId: caller.user.id,
    sessionId: caller.session.id,
    lifetimeMs: CLI_BROWSER_TOKEN_TTL_MS,
  });
  // 256 random bits never collide; `taken` can only mean the session went meanwhile, like `owner_gone`.
  if (outcome !== "inserted") return fail("session_gone");
  await recordAuditEvent(deps, meta, { action: "cli.browser_token.created", target: caller.session.id, detail: { cli_session_id: caller.session.id } });
  return ok({ code, expiresAt: grant.expiresAt });
}

/** The CLI session a live code belongs to, if it and its user are still good. */
async function liveCliSession(store: AuthStore, userId: string | null, sessionId: string | null, now: number): Promise<Session | null> {
  if (userId === null || sessionId === null) return null;
  const session = await store.sessions.findById(sessionId);
  if (!session || session.kind !== "cli" || session.userId !== userId || now >= sessionExpiresAt(session)) return null;
  return session;
}

/** What the page shows before the person decides: whose code it is, from which CLI session. Consumes nothing. */
export async function inspectCliBrowserToken(
  deps: Pick<AuthDeps, "store" | "clock">,
  code: string,
): Promise<Result<Invalid, { user: User; cliSession: { id: string; name: string }; expiresAt: number }>> {
  if (!isWellFormedSecret(CLI_BROWSER_TOKEN_PREFIX, code)) return fail("cli_browser_token_invalid");
  const now = deps.clock.now();
  const grant = await deps.store.grants.findLive("cli_browser_token", hashSecret(code), now);
  if (!grant) return fail("cli_browser_token_invalid");
  const cliSession = await liveCliSession(deps.store, grant.userId, grant.sessionId, now);
  const user = cliSession ? await deps.store.users.findById(cliSession.userId) : null;
  if (!cliSession || !user || user.disabledAt !== null) return fail("cli_browser_token_invalid");
  return ok({ user: toPublicUser(user), cliSession: { id: cliSession.id, name: cliSession.name }, expiresAt: grant.expiresAt });
}

export type CliBrowserTokenConsumed =
  /** The browser was already signed in as the same user: the code is burned and nothing is made. */
  | { sessionCreated: false; user: User }
  /** A new browser session; `replaced` is the other user's session the browser had, now revoked. */
  | { sessionCreated: true; user: User; token: string; session: Session; replaced: Session | null };

/**
 * Trades a code for a browser session, once. `current` is the browser's own cookie session, if
 * it has one: of the same user, nothing new is made; of another user (the page asked first), it
 * is signed out and replaced. A support session is always replaced, never kept.
 */
export async function consumeCliBrowserToken(
  deps: Pick<AuthDeps, "store" | "clock" | "lifetimes">,
  code: string,
  current: Authenticated | null,
  meta: RequestMeta,
): Promise<Result<Invalid, CliBrowserTokenConsumed>> {
  if (!isWellFormedSecret(CLI_BROWSER_TOKEN_PREFIX, code)) return fail("cli_browser_token_invalid");
  return redeemGrant(deps, "cli_browser_token", hashSecret(code), "cli_browser_token_invalid", async (store, grant): Promise<Result<Invalid, CliBrowserTokenConsumed>> => {
    const now = deps.clock.now();
    // The CLI session is read in the transaction that consumes the code: revoked a moment ago, it is gone here.
    const cliSession = await liveCliSession(store, grant.userId, grant.sessionId, now);
    const owner = cliSession ? await store.users.findById(cliSession.userId) : null;
    if (!cliSession || !owner || owner.disabledAt !== null) return fail("cli_browser_token_invalid");
    const user = toPublicUser(owner);
    const audited = { store, clock: deps.clock };
    if (current && current.user.id === user.id && current.session.impersonatorUserId === null) {
      await recordAuditEvent(audited, meta, { action: "cli.browser_token.consumed", actorUserId: user.id, target: cliSession.id, detail: { cli_session_id: cliSession.id, web_session_id: null } });
      return ok({ sessionCreated: false, user });
    }
    const replaced = current ? await store.sessions.deleteById(current.session.id) : null;
    if (replaced) await finishLogout(audited, replaced, meta, { reason: "replaced_by_cli_browser_token" });
    const { token, session } = await createSession(
      { store, clock: deps.clock, lifetimes: deps.lifetimes },
      {
        user,
        kind: "web",
        name: `Web session (opened from ${cliSession.name})`.slice(0, 200),
        parentSessionId: cliSession.id,
        // Never fresh: a CLI token is a long-lived file, and must not become a recent sign-in.
        authenticatedAt: null,
        mfaVerifiedAt: cliSession.mfaVerifiedAt,
        orgId: cliSession.orgId,
        meta,
        expiresNoLaterThan: cliSession.absoluteExpiresAt,
      },
    );
    await recordAuditEvent(audited, meta, {
      action: "cli.browser_token.consumed",
      actorUserId: user.id,
      target: session.id,
      detail: { cli_session_id: cliSession.id, web_session_id: session.id },
    });
    return ok({ sessionCreated: true, user, token, session, replaced });
  });
}
