/**
 * Single-use grants: the one life cycle behind every secret that is handed over once. The CLI's
 * loopback handoff and its paste code are grants today (with the receipt a used paste code leaves,
 * so the page that showed it can say which session used it); the device grant, sign-in approvals,
 * password-reset and CLI → browser tokens are further kinds of the same record.
 *
 * A grant is stored under the SHA-256 of its secret, never the secret itself. It has a state
 * (`pending` → `approved` or `denied`), an owner (the user and the session that decided it), and
 * an expiry. It is consumed exactly once, by one conditional write (`DELETE … RETURNING`), so of
 * any number of concurrent attempts, on any number of processes, one gets it. The owning session
 * is a foreign key with `ON DELETE CASCADE`: a grant can never outlive the session that made it.
 */
import type { AuthDeps } from "./context.js";
import { fail, type Result } from "./result.js";
import type { AuthStore } from "./types.js";

/** Every kind of grant. Adding a capability adds a kind here, not a new table. */
export const grantKinds = ["cli_handoff", "cli_paste_code", "cli_paste_code_receipt", "cli_browser_token"] as const;
export type GrantKind = (typeof grantKinds)[number];

/**
 * `pending`: waiting for a person's decision (the device grant, later). `approved`: a person said
 * yes, and the secret may be redeemed once. `denied`: a person said no; redeeming it delivers the
 * refusal once.
 */
export type GrantState = "pending" | "approved" | "denied";

export interface Grant {
  kind: GrantKind;
  /** SHA-256 of the secret (base64url). */
  secretHash: string;
  state: GrantState;
  /** The user who decided it; `null` while nobody has. */
  userId: string | null;
  /** The session that decided it; the grant dies with it. */
  sessionId: string | null;
  createdAt: number;
  expiresAt: number;
}

export type GrantInsertOutcome = "inserted" | "taken" | "owner_gone";

/** The storage a grant needs. Every method is one statement; each write says who wins. */
export interface GrantStore {
  /**
   * Inserts unless a live grant of this kind holds the hash (an expired one is replaced): the
   * first writer wins. `owner_gone` when the owning session no longer exists (it was revoked
   * while the request was on its way), so nothing was stored.
   */
  insertIfAbsent(grant: Grant, now: number): Promise<GrantInsertOutcome>;
  findLive(kind: GrantKind, secretHash: string, now: number): Promise<Grant | null>;
  /**
   * Whether a live grant exists: a read only, so a waiting client's polls (most of the traffic)
   * never write. The consume that follows decides who wins.
   */
  isLive(kind: GrantKind, secretHash: string, now: number): Promise<boolean>;
  /**
   * Moves a live grant from one state to another, only for `userId` when given, and sets its new
   * expiry; `false` when the grant was not in `from` (someone else moved it first).
   */
  changeState(
    kind: GrantKind,
    secretHash: string,
    change: { from: GrantState; to: GrantState; userId?: string; expiresAt: number },
    now: number,
  ): Promise<boolean>;
  /** Deletes and returns the live grant in one conditional write: exactly one caller gets it. */
  consume(kind: GrantKind, secretHash: string, now: number): Promise<Grant | null>;
  /** Deletes the user's grants in `state`. */
  deleteByUser(userId: string, state: GrantState): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

/**
 * Redeems a grant: a read first, so the misses of a polling client cost no write; then, in one
 * transaction, the consume (one winner) and `finish`, which turns the grant into what it grants
 * (a session, a refusal, …) on the transaction's store. A miss of any kind (unknown, expired,
 * already used) is the same `miss`.
 */
export async function redeemGrant<Failure extends string, Value>(
  deps: Pick<AuthDeps, "store" | "clock">,
  kind: GrantKind,
  secretHash: string,
  miss: Failure,
  finish: (store: AuthStore, grant: Grant) => Promise<Result<Failure, Value>>,
): Promise<Result<Failure, Value>> {
  if (!(await deps.store.grants.isLive(kind, secretHash, deps.clock.now()))) return fail(miss);
  return deps.store.transaction(async (store) => {
    // The owner's account lock comes before the grant's row, the order revocations take them in
    // (account, then sessions and their grants), so the two never wait on each other in a circle.
    const seen = await store.grants.findLive(kind, secretHash, deps.clock.now());
    if (!seen) return fail(miss);
    if (seen.userId !== null) await store.users.lockForSessionChange(seen.userId, "share");
    const grant = await store.grants.consume(kind, secretHash, deps.clock.now());
    return grant ? finish(store, grant) : fail(miss);
  });
}

/** Stores a grant decided by a person: its owner is the caller's user and session. */
export async function storeDecidedGrant(
  deps: Pick<AuthDeps, "store" | "clock">,
  input: { kind: GrantKind; secretHash: string; state: GrantState; userId: string; sessionId: string; lifetimeMs: number },
): Promise<{ outcome: GrantInsertOutcome; grant: Grant }> {
  const now = deps.clock.now();
  const grant: Grant = {
    kind: input.kind,
    secretHash: input.secretHash,
    state: input.state,
    userId: input.userId,
    sessionId: input.sessionId,
    createdAt: now,
    expiresAt: now + input.lifetimeMs,
  };
  return { outcome: await deps.store.grants.insertIfAbsent(grant, now), grant };
}
