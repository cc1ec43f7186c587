/**
 * Tokens seen through OAuth's eyes: revocation by the client that holds one (RFC 7009) and
 * introspection by a resource server (RFC 7662). A Harmont token is a session, so both work on
 * the session check's own read: a revocation is seen by every process at the next request, and
 * an introspection answers what the session check would.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { revokeWebChildren, sessionExpiresAt, validateSessionToken } from "./sessions.js";
import { hashSecret, isWellFormedBearerToken } from "./tokens.js";

/**
 * Revokes a token for the client it was issued to. Whatever the token is (garbage, unknown,
 * revoked already, another client's or no client's), the caller hears the same: RFC 7009 §2.2
 * answers 200 so revocation is no oracle. Sessions made without OAuth are revoked by logout.
 */
export async function revokeClientToken(deps: Pick<AuthDeps, "store" | "clock">, clientId: string, token: string, meta: RequestMeta): Promise<void> {
  if (!isWellFormedBearerToken(token)) return;
  await deps.store.transaction(async (store) => {
    const found = await store.sessions.findWithUserByTokenHash(hashSecret(token));
    if (!found || found.session.clientId !== clientId) return;
    await store.sessions.deleteById(found.session.id);
    await revokeWebChildren({ store, clock: deps.clock }, [found.session.id], meta);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "oauth.token.revoked",
      actorUserId: found.user.id,
      target: found.session.id,
      detail: { client_id: clientId },
    });
  });
}

/** RFC 7662 §2.2's answer: `{active: false}` and nothing else for any token that does not work. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: "Bearer";
      client_id?: string;
      sub: string;
      username: string;
      iss: string;
      iat: number;
      exp: number;
      sid: string;
      session_kind: string;
    };

/** What a resource server learns of a token. It counts as a use of the session (a resource server introspects a token in use). */
export async function introspectToken(deps: Pick<AuthDeps, "store" | "clock">, token: string, issuer: string, ip: string | null): Promise<Introspection> {
  const found = await validateSessionToken(deps, token, ip);
  if (!found) return { active: false };
  const { session, user } = found;
  return {
    active: true,
    token_type: "Bearer",
    ...(session.clientId ? { client_id: session.clientId } : {}),
    sub: user.id,
    username: user.email,
    iss: issuer,
    iat: Math.floor(session.createdAt / 1000),
    exp: Math.floor(sessionExpiresAt(session) / 1000),
    sid: session.id,
    session_kind: session.kind,
  };
}
