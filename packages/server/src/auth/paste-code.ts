/**
 * Paste codes: 16 characters of Crockford base32 (80 bits), read the way people type them.
 * @see https://www.crockford.com/base32.html
 */
import { randomBytes } from "node:crypto";
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { redeemGrant, storeDecidedGrant } from "./grants.js";
import { noticeNewCliSession } from "./account.js";
import { issueCliSession, type Session } from "./sessions.js";
import { cleanSessionName } from "./tokens.js";

export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PASTE_CODE_LENGTH = 16;
const canonicalPattern = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** A fresh paste code: 10 random bytes, 5 bits a character, 16 characters. */
export function generatePasteCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let index = PASTE_CODE_LENGTH - 1; index >= 0; index--) {
    code += CROCKFORD_ALPHABET[Number((bits >> BigInt(index * 5)) & 31n)];
  }
  return code;
}

/**
 * The canonical form of a typed code, or `null` when it cannot be one: upper case, spaces and
 * dashes dropped, O read as 0 and I or L as 1.
 */
export function normalizePasteCode(typed: string): string | null {
  if (typed.length > 64) return null;
  const canonical = typed
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  return canonicalPattern.test(canonical) ? canonical : null;
}

/** `K7P2QR9MX3WZ4NTV` → `K7P2-QR9M-X3WZ-4NTV`, for reading aloud or retyping. */
export function formatPasteCode(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}

// ---- minting and redeeming: a grant of kind `cli_paste_code` ----

/** cli/code: mints a paste code for the caller's account. Only its hash is stored. */
export async function createPasteCode(
  deps: AuthDeps,
  caller: Authenticated,
  meta: RequestMeta,
): Promise<Result<"session_gone", { code: string; expiresAt: number }>> {
  const code = generatePasteCode();
  const { outcome, grant } = await storeDecidedGrant(deps, {
    kind: "cli_paste_code",
    secretHash: deps.shortCodes.hash(code),
    state: "approved",
    userId: caller.user.id,
    sessionId: caller.session.id,
    lifetimeMs: deps.lifetimes.pasteCodeMs,
  });
  // 80 random bits do not collide; a session revoked while this request ran stores nothing.
  if (outcome !== "inserted") return fail("session_gone");
  await recordAuditEvent(deps, meta, { action: "cli.paste_code.created", target: caller.session.id });
  return ok({ code, expiresAt: grant.expiresAt });
}

/**
 * cli/redeem: consumes a paste code in one conditional write and creates a new CLI session. In the
 * same transaction it leaves a receipt under the code's hash, owned by the new session (so it dies
 * with it), for the page that showed the code to report who used it.
 */
export async function redeemPasteCode(
  deps: AuthDeps,
  typed: string,
  name: unknown,
  meta: RequestMeta,
): Promise<Result<"cli_code_invalid", { token: string; session: Session }>> {
  const canonical = normalizePasteCode(typed);
  if (!canonical) return fail("cli_code_invalid");
  const redeemed = await redeemGrant(deps, "cli_paste_code", deps.shortCodes.hash(canonical), "cli_code_invalid", async (store, pasteCode) => {
    const issued = await issueCliSession(
      deps,
      store,
      { userId: pasteCode.userId, parentSessionId: pasteCode.sessionId, name: cleanSessionName(name), auditAction: "cli.paste_code.redeemed" },
      meta,
    );
    if (!issued) return fail("cli_code_invalid");
    await storeDecidedGrant(
      { store, clock: deps.clock },
      {
        kind: "cli_paste_code_receipt",
        secretHash: pasteCode.secretHash,
        state: "approved",
        userId: issued.session.userId,
        sessionId: issued.session.id,
        lifetimeMs: deps.lifetimes.pasteCodeMs,
      },
    );
    return ok(issued);
  });
  if (redeemed.ok) await noticeNewCliSession(deps, redeemed.value.session);
  return redeemed;
}

export type PasteCodeStatus =
  | { state: "waiting"; expiresAt: number }
  | { state: "used"; usedAt: number; sessionName: string }
  | { state: "expired" };

/**
 * cli/code/status: what became of a paste code the caller minted: still waiting, used (when, and
 * by which CLI session), or gone (expired, or revoked with its session). A code of another account
 * answers like an expired one, so nothing can be learned of it.
 */
export async function pasteCodeStatus(
  deps: AuthDeps,
  caller: Authenticated,
  typed: string,
): Promise<Result<"cli_code_invalid", PasteCodeStatus>> {
  const canonical = normalizePasteCode(typed);
  if (!canonical) return fail("cli_code_invalid");
  const secretHash = deps.shortCodes.hash(canonical);
  const now = deps.clock.now();
  const waiting = await deps.store.grants.findLive("cli_paste_code", secretHash, now);
  if (waiting && waiting.userId === caller.user.id) return ok({ state: "waiting", expiresAt: waiting.expiresAt });
  const receipt = await deps.store.grants.findLive("cli_paste_code_receipt", secretHash, now);
  if (receipt && receipt.userId === caller.user.id && receipt.sessionId !== null) {
    const session = await deps.store.sessions.findById(receipt.sessionId);
    if (session) return ok({ state: "used", usedAt: receipt.createdAt, sessionName: session.name });
  }
  return ok({ state: "expired" });
}
