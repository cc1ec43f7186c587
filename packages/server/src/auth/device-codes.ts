/**
 * The device authorization grant (RFC 8628): a client with no browser of its own asks for a pair
 * of codes, shows the short `user_code` to a person, and polls with the long `device_code` until
 * the person approves or denies on a signed-in browser; the approval turns into a new CLI session,
 * a child of the approving session, handed out once.
 *
 * - `device_code` is `hmd_` and 256 bits, stored as its SHA-256, never shown to the person.
 * - `user_code` is 8 letters of an alphabet without vowels or digits (34.6 bits), shown as
 *   `XXXX-XXXX`, read in any case and with any dashes or spaces, stored as an HMAC under the
 *   server's secret key (like every short code) and guarded by failure budgets per user, per IP
 *   and overall.
 * - The server keeps the poll interval itself: a poll of a pending authorization that comes too
 *   soon answers `slow_down`, and the stored interval grows by 5 seconds (at most 60).
 * - Every state change is one conditional write; the pick-up consumes the approval and makes the
 *   session in one transaction, so any number of concurrent polls get one token.
 */
import { randomBytes } from "node:crypto";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import type { OAuthClient } from "./oauth-clients.js";
import { fail, ok, type Result } from "./result.js";
import { issueCliSession, sessionExpiresAt, type Session } from "./sessions.js";
import { cleanSessionName, generatePrefixedSecret, hashSecret, isWellFormedSecret } from "./tokens.js";

export const DEVICE_CODE_PREFIX = "hmd_";
/** RFC 8628 §6.1: no vowels (no words), no digits (no 0/O, 1/I). */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
export const USER_CODE_LENGTH = 8;
/** What `slow_down` adds to the interval, and the most it grows to. */
export const SLOW_DOWN_STEP_MS = 5_000;
export const MAX_POLL_INTERVAL_MS = 60_000;
/** A poll this much early still counts as on time (network jitter). */
const POLL_GRACE_MS = 500;
/** Answered and expired rows are kept this long, so a late poll gets its real answer. */
export const DEVICE_AUTHORIZATION_RETENTION_MS = 60 * 60_000;

export type DeviceAuthorizationState = "pending" | "approved" | "denied" | "consumed";

export interface DeviceAuthorization {
  deviceCodeHash: string;
  /** `null` once consumed. */
  userCodeHash: string | null;
  clientId: string;
  /** The name the client gave the session it wants (cleaned), or the client's name. */
  sessionName: string;
  /** Product and system from the requesting client's User-Agent. */
  deviceDescription: string | null;
  requesterIp: string | null;
  state: DeviceAuthorizationState;
  userId: string | null;
  approvingSessionId: string | null;
  issuedSessionId: string | null;
  intervalMs: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
  answeredAt: number | null;
  consumedAt: number | null;
}

export interface DeviceAuthorizationStore {
  /** `false` when the user code is taken by a live authorization (draw another). */
  insert(authorization: DeviceAuthorization): Promise<boolean>;
  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceAuthorization | null>;
  findLiveByUserCodeHash(userCodeHash: string, now: number): Promise<DeviceAuthorization | null>;
  /** Records a poll of a pending authorization, with its (possibly grown) interval. */
  recordPoll(deviceCodeHash: string, now: number, intervalMs: number): Promise<void>;
  /** pending → approved by this user and session; `false` when it was not pending and live. */
  approve(userCodeHash: string, userId: string, sessionId: string, now: number): Promise<boolean>;
  /** pending (or approved by this same user, not yet picked up) → denied; `false` otherwise. */
  deny(userCodeHash: string, userId: string, now: number): Promise<boolean>;
  /** approved → consumed for this client, once; the row, or `null` for everyone else. */
  consume(deviceCodeHash: string, clientId: string, now: number): Promise<DeviceAuthorization | null>;
  /** Records the session a pick-up made, or, when none could be made, that it ends denied. */
  finish(deviceCodeHash: string, outcome: { issuedSessionId: string } | { denied: true }): Promise<void>;
  deleteExpired(before: number): Promise<number>;
}

/** 8 letters of the alphabet, unbiased (bytes of 240 and above are drawn again). */
export function generateUserCode(): string {
  let code = "";
  while (code.length < USER_CODE_LENGTH) {
    for (const byte of randomBytes(16)) {
      if (byte < 240 && code.length < USER_CODE_LENGTH) code += USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length];
    }
  }
  return code;
}

/** `BCDFGHJK` → `BCDF-GHJK`. */
export function formatUserCode(canonical: string): string {
  return `${canonical.slice(0, 4)}-${canonical.slice(4)}`;
}

/**
 * The canonical form of a typed code: folded (NFKC, so fullwidth letters count), upper-cased,
 * without whitespace or punctuation; `null` when that is not 8 letters of the alphabet.
 */
export function normalizeUserCode(typed: string): string | null {
  if (typed.length > 32) return null;
  const canonical = typed.normalize("NFKC").toUpperCase().replace(/[\s\p{P}\p{S}]/gu, "");
  if (canonical.length !== USER_CODE_LENGTH) return null;
  for (const character of canonical) if (!USER_CODE_ALPHABET.includes(character)) return null;
  return canonical;
}

/** "harmont-cli 0.2.0 on Linux" from `harmont-cli/0.2.0 (linux; x64) node/20.20.2`; `null` when it names no product. */
export function describeRequestingClient(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const product = /^([A-Za-z][\w.-]{0,40})\/([\w.+-]{1,20})/.exec(userAgent);
  if (!product) return null;
  const system = /windows|win32/i.test(userAgent) ? "Windows" : /darwin|mac ?os/i.test(userAgent) ? "macOS" : /linux/i.test(userAgent) ? "Linux" : null;
  return `${product[1]} ${product[2]}${system ? ` on ${system}` : ""}`;
}

export interface DeviceGrantSettings {
  /** Life of a code pair. */
  lifetimeMs: number;
  /** The interval a client is told to poll at, before any `slow_down`. */
  intervalMs: number;
}

/** RFC 8628 §3.2's answer, before it is put in URLs. */
export interface StartedDeviceAuthorization {
  deviceCode: string;
  userCode: string;
  expiresInSeconds: number;
  intervalSeconds: number;
}

/** Starts a device authorization for a registered client. `expiresInSeconds` may only shorten the configured life. */
export async function startDeviceAuthorization(
  deps: Pick<AuthDeps, "store" | "clock" | "shortCodes"> & { deviceGrant: DeviceGrantSettings },
  input: { client: OAuthClient; sessionName: string | undefined; expiresInSeconds: number | undefined },
  meta: RequestMeta,
): Promise<StartedDeviceAuthorization> {
  const now = deps.clock.now();
  const lifetimeMs = Math.min(deps.deviceGrant.lifetimeMs, input.expiresInSeconds === undefined ? Infinity : input.expiresInSeconds * 1000);
  const deviceCode = generatePrefixedSecret(DEVICE_CODE_PREFIX);
  for (let attempt = 0; ; attempt++) {
    const userCode = generateUserCode();
    const inserted = await deps.store.deviceAuthorizations.insert({
      deviceCodeHash: hashSecret(deviceCode),
      userCodeHash: deps.shortCodes.hash(userCode),
      clientId: input.client.id,
      sessionName: cleanSessionName(input.sessionName, input.client.name),
      deviceDescription: describeRequestingClient(meta.userAgent),
      requesterIp: meta.ip,
      state: "pending",
      userId: null,
      approvingSessionId: null,
      issuedSessionId: null,
      intervalMs: deps.deviceGrant.intervalMs,
      lastPolledAt: null,
      createdAt: now,
      expiresAt: now + lifetimeMs,
      answeredAt: null,
      consumedAt: null,
    });
    if (inserted) {
      await recordAuditEvent(deps, meta, { action: "oauth.device.requested", actorUserId: null, target: input.client.id });
      return {
        deviceCode,
        userCode: formatUserCode(userCode),
        expiresInSeconds: Math.floor(lifetimeMs / 1000),
        intervalSeconds: Math.ceil(deps.deviceGrant.intervalMs / 1000),
      };
    }
    // 2.56×10^10 codes: a collision with a live one is rare, five in a row is a broken generator.
    if (attempt >= 4) throw new Error("could not draw a free user code");
  }
}

/** RFC 8628 §3.5 answers of the token endpoint that are not a token. */
export type DevicePollFailure = "invalid_grant" | "access_denied" | "expired_token" | "authorization_pending" | "slow_down";

/**
 * One poll of the token endpoint. In the order a client must hear them: a used code is
 * `invalid_grant`, a denied one `access_denied`, an expired one `expired_token`; an approved one
 * is consumed and turned into the CLI session (one caller wins); a pending one says to wait, or,
 * polled too soon, `slow_down`.
 */
export async function pollDeviceAuthorization(
  deps: AuthDeps,
  input: { deviceCode: string; clientId: string },
  meta: RequestMeta,
): Promise<Result<DevicePollFailure, { token: string; session: Session; expiresInSeconds: number }>> {
  if (!isWellFormedSecret(DEVICE_CODE_PREFIX, input.deviceCode)) return fail("invalid_grant");
  const deviceCodeHash = hashSecret(input.deviceCode);
  const found = await deps.store.deviceAuthorizations.findByDeviceCodeHash(deviceCodeHash);
  if (!found || found.clientId !== input.clientId) return fail("invalid_grant");
  const now = deps.clock.now();
  if (found.state === "consumed") {
    await recordAuditEvent(deps, meta, { action: "oauth.device.replayed", actorUserId: found.userId, target: found.issuedSessionId });
    return fail("invalid_grant");
  }
  if (found.state === "denied") return fail("access_denied");
  if (now >= found.expiresAt) return fail("expired_token");
  if (found.state === "pending") {
    const tooSoon = found.lastPolledAt !== null && now - found.lastPolledAt < found.intervalMs - POLL_GRACE_MS;
    const intervalMs = tooSoon ? Math.min(found.intervalMs + SLOW_DOWN_STEP_MS, MAX_POLL_INTERVAL_MS) : found.intervalMs;
    await deps.store.deviceAuthorizations.recordPoll(deviceCodeHash, now, intervalMs);
    return fail(tooSoon ? "slow_down" : "authorization_pending");
  }
  // Approved: however soon it comes, this poll may pick the session up.
  // Committed whatever it answers: a denial found at pick-up is recorded, so later polls hear it too.
  const issued = await deps.store.transaction(async (store): Promise<Result<"invalid_grant" | "access_denied", { token: string; session: Session }>> => {
    const consumed = await store.deviceAuthorizations.consume(deviceCodeHash, input.clientId, now);
    if (!consumed) return fail("invalid_grant");
    const made = await issueCliSession(
      deps,
      store,
      { userId: consumed.userId, parentSessionId: consumed.approvingSessionId, name: consumed.sessionName, clientId: consumed.clientId, auditAction: "oauth.device.token_issued" },
      meta,
    );
    if (!made) {
      // The approving session or its account went away before the pick-up: the approval went with it.
      await store.deviceAuthorizations.finish(deviceCodeHash, { denied: true });
      return fail("access_denied");
    }
    await store.deviceAuthorizations.finish(deviceCodeHash, { issuedSessionId: made.session.id });
    return ok(made);
  });
  if (!issued.ok) return issued;
  return ok({ ...issued.value, expiresInSeconds: Math.floor((sessionExpiresAt(issued.value.session) - deps.clock.now()) / 1000) });
}

/** Spent by every try of a user code (before the comparison) and given back by a match. */
export interface UserCodeBudget {
  spend(userId: string, ip: string | null): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  refund(userId: string, ip: string | null): Promise<void>;
}

export type UserCodeFailure = "user_code_invalid" | "rate_limited";

/** What the consent page shows about a live authorization. */
export interface DeviceAuthorizationView {
  userCode: string;
  client: OAuthClient;
  sessionName: string;
  deviceDescription: string | null;
  /** The address the device asked from. */
  requestedFrom: string | null;
  requestedAt: number;
  expiresAt: number;
  status: "pending" | "approved";
}

/**
 * Finds the authorization a typed code names, for the signed-in caller: a live pending one, or
 * one the caller approved already (a reload). Everything else is the same `user_code_invalid`.
 */
async function findForCaller(
  deps: Pick<AuthDeps, "store" | "clock" | "shortCodes">,
  caller: Authenticated,
  typed: string,
  budget: UserCodeBudget,
  ip: string | null,
): Promise<{ ok: true; value: { authorization: DeviceAuthorization; userCodeHash: string; canonical: string } } | { ok: false; failure: UserCodeFailure; retryAfterSeconds?: number }> {
  // Spent before anything is compared (a malformed code too), so parallel guesses cannot overshoot.
  const spent = await budget.spend(caller.user.id, ip);
  if (!spent.allowed) return { ok: false, failure: "rate_limited", retryAfterSeconds: spent.retryAfterSeconds };
  const canonical = normalizeUserCode(typed);
  if (canonical === null) return fail("user_code_invalid");
  const userCodeHash = deps.shortCodes.hash(canonical);
  const authorization = await deps.store.deviceAuthorizations.findLiveByUserCodeHash(userCodeHash, deps.clock.now());
  const mine = authorization !== null && (authorization.state === "pending" || (authorization.state === "approved" && authorization.userId === caller.user.id));
  if (!authorization || !mine) return fail("user_code_invalid");
  await budget.refund(caller.user.id, ip);
  return ok({ authorization, userCodeHash, canonical });
}

export async function lookUpDeviceAuthorization(
  deps: Pick<AuthDeps, "store" | "clock" | "shortCodes">,
  clients: { publicClient(id: string): OAuthClient | null },
  caller: Authenticated,
  typed: string,
  budget: UserCodeBudget,
  meta: RequestMeta,
): Promise<{ ok: true; value: DeviceAuthorizationView } | { ok: false; failure: UserCodeFailure; retryAfterSeconds?: number }> {
  const found = await findForCaller(deps, caller, typed, budget, meta.ip);
  if (!found.ok) {
    if (found.failure === "user_code_invalid") await recordAuditEvent(deps, meta, { action: "oauth.device.user_code_failed", target: null });
    return found;
  }
  const { authorization, canonical } = found.value;
  const client = clients.publicClient(authorization.clientId) ?? { id: authorization.clientId, name: authorization.clientId, firstParty: false };
  return ok({
    userCode: formatUserCode(canonical),
    client,
    sessionName: authorization.sessionName,
    deviceDescription: authorization.deviceDescription,
    requestedFrom: authorization.requesterIp,
    requestedAt: authorization.createdAt,
    expiresAt: authorization.expiresAt,
    status: authorization.state === "approved" ? "approved" : "pending",
  });
}

/**
 * Approves or denies for the signed-in caller. The first answer stands, but the approver's own
 * Deny wins until the session is picked up; approving twice is fine.
 */
export async function answerDeviceAuthorization(
  deps: Pick<AuthDeps, "store" | "clock" | "shortCodes">,
  caller: Authenticated,
  typed: string,
  answer: "approve" | "deny",
  budget: UserCodeBudget,
  meta: RequestMeta,
): Promise<{ ok: true; value: undefined } | { ok: false; failure: UserCodeFailure; retryAfterSeconds?: number }> {
  const found = await findForCaller(deps, caller, typed, budget, meta.ip);
  if (!found.ok) {
    if (found.failure === "user_code_invalid") await recordAuditEvent(deps, meta, { action: "oauth.device.user_code_failed", target: null });
    return found;
  }
  const { authorization, userCodeHash } = found.value;
  const now = deps.clock.now();
  const changed =
    answer === "approve"
      ? (await deps.store.deviceAuthorizations.approve(userCodeHash, caller.user.id, caller.session.id, now)) || authorization.userId === caller.user.id
      : await deps.store.deviceAuthorizations.deny(userCodeHash, caller.user.id, now);
  if (!changed) return fail("user_code_invalid");
  const approved = answer === "approve";
  await recordAuditEvent(deps, meta, {
    action: approved ? "oauth.device.approved" : "oauth.device.denied",
    target: caller.session.id,
    detail: { client_id: authorization.clientId },
  });
  return ok(undefined);
}
