/**
 * Secrets and identifiers: session tokens, hashing, ids, nonces. Tokens carry 256 random bits
 * from the OS CSPRNG and only their SHA-256 is ever stored.
 */
import { createHmac, hash, randomBytes } from "node:crypto";

export const SESSION_TOKEN_PREFIX = "hmt_";
const sessionTokenPattern = /^hmt_[A-Za-z0-9_-]{43}$/;

/**
 * API tokens (named, long-lived credentials for CI and scripts) have a prefix of their own, so a
 * secret scanner can tell them from sessions: `hma_` and 43 characters of base64url.
 */
export const API_TOKEN_PREFIX = "hma_";
const apiTokenPattern = /^hma_[A-Za-z0-9_-]{43}$/;

/** A new session token: `hmt_` and 43 characters of base64url (256 bits). */
export function generateSessionToken(): string {
  return generatePrefixedSecret(SESSION_TOKEN_PREFIX);
}

/** Whether a string has the shape of a session token (prefix and length), known or not. */
export function isWellFormedSessionToken(value: string): boolean {
  return sessionTokenPattern.test(value);
}

/** A new API token: `hma_` and 43 characters of base64url (256 bits). */
export function generateApiToken(): string {
  return generatePrefixedSecret(API_TOKEN_PREFIX);
}

/** Whether a string has the shape of an API token, known or not. */
export function isWellFormedApiToken(value: string): boolean {
  return apiTokenPattern.test(value);
}

/**
 * A secret with a readable prefix and 43 characters of base64url (256 bits): session and API
 * tokens, and secrets of their own kind (invitations, reset links), whose prefixes are never
 * `hmt_` or `hma_`, so none of them can ever authenticate a request.
 */
export function generatePrefixedSecret(prefix: `h${string}_`): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function isWellFormedSecret(prefix: string, value: string): boolean {
  return value.length === prefix.length + 43 && value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

/** Whether a string has the shape of anything a bearer header may carry: a session or an API token. */
export function isWellFormedBearerToken(value: string): boolean {
  return sessionTokenPattern.test(value) || apiTokenPattern.test(value);
}

/**
 * SHA-256 as base64url: what the database holds in place of a token, nonce or code. The
 * one-shot `crypto.hash` is about three times quicker than a `Hash` object for input this short.
 */
export function hashSecret(secret: string): string {
  return hash("sha256", secret, "base64url");
}

/** A record id with a readable prefix (`usr_`, `ses_`, …) and 120 random bits. */
export function generateId(prefix: "usr" | "ses" | "tok" | "org" | "inv" | "aud" | "lch"): string {
  return `${prefix}_${randomBytes(15).toString("base64url")}`;
}

const noncePattern = /^[A-Za-z0-9_-]{22,256}$/;

/**
 * Whether a CLI nonce has an acceptable shape: 22–256 characters of base64url. 22 characters
 * hold 128 bits; the server cannot measure entropy, so clients must draw nonces from a CSPRNG.
 */
export function isValidNonce(value: string): boolean {
  return noncePattern.test(value);
}

const DEFAULT_CLI_SESSION_NAME = "CLI session";
const MAX_SESSION_NAME_LENGTH = 100;

/**
 * Cleans a client-given session name: control and format characters (including bidi
 * overrides, which can disguise a name) are dropped, white space folded, and the result cut to
 * 100 characters. Never fails: an empty or missing name becomes "CLI session".
 */
export function cleanSessionName(name: unknown, fallback = DEFAULT_CLI_SESSION_NAME): string {
  if (typeof name !== "string") return fallback;
  const cleaned = name
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const cut = Array.from(cleaned).slice(0, MAX_SESSION_NAME_LENGTH).join("").trim();
  return cut === "" ? fallback : cut;
}

/**
 * Digests of short secrets: anything under 112 bits (8-digit email codes, 80-bit paste codes,
 * device-grant user codes). A plain SHA-256 of so few possibilities gives the code back to
 * whoever reads the database (every 8-digit code can be tried in seconds), so these are stored
 * as an HMAC-SHA-256 under the server's secret key, which the database does not hold.
 */
export interface ShortCodeHasher {
  hash(code: string): string;
}

export function createShortCodeHasher(key: Uint8Array): ShortCodeHasher {
  if (key.byteLength < 32) throw new Error("the short-code key must hold at least 32 bytes");
  const secret = Buffer.from(key);
  return { hash: (code) => createHmac("sha256", secret).update(code, "utf8").digest("base64url") };
}
