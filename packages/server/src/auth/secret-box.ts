/**
 * Sealing of small secrets the server must read back (TOTP secrets) under its secret key, with
 * AES-256-GCM. A sealed value is `v1.` and base64url of IV ‖ ciphertext ‖ tag; the caller's
 * associated data (the owning user's id) is bound in, so a value moved to another row will not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const SEALED_PREFIX = "v1.";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_DERIVATION_INFO = "harmont secret-box v1";
const base64urlPattern = /^[A-Za-z0-9_-]+$/;

/**
 * The secret-box key under a master key: HKDF-SHA-256, empty salt, info "harmont secret-box v1".
 * The master key (`HARMONT_SECRET_KEY`) also keys HMACs elsewhere; one key should serve one purpose.
 */
export function deriveSecretBoxKey(master: Uint8Array): Buffer {
  if (master.byteLength < KEY_BYTES) throw new Error("the secret key must hold at least 32 bytes");
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), KEY_DERIVATION_INFO, KEY_BYTES));
}

/**
 * Derived secret-box keys: `current` seals and is tried first; `previous`, while a master key is
 * being rotated out, still opens what it sealed.
 */
export interface SecretBoxKeys {
  current: Buffer;
  previous: Buffer | null;
}

/** The secret-box keys under the current master key and, during a rotation, the previous one. */
export function createSecretBoxKeys(master: Uint8Array, previousMaster?: Uint8Array | null): SecretBoxKeys {
  return {
    current: deriveSecretBoxKey(master),
    previous: previousMaster ? deriveSecretBoxKey(previousMaster) : null,
  };
}

/**
 * Seals a secret under the current key with a fresh random IV, so sealing the same secret twice
 * gives two different values. `aad` (the owning user's id) must be given again to open it.
 */
export function sealSecret(keys: SecretBoxKeys, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keys.current, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString("base64url");
}

/**
 * Opens a sealed secret with the current key, then the previous one; `sealedWithPrevious` tells
 * the caller to seal it again under the current key. Throws when the value is malformed or no key
 * opens it: that means damaged data, a wrong `aad` or a lost key, a server fault and never a
 * user's mistake. The error says nothing of the value or the keys.
 */
export function openSecret(keys: SecretBoxKeys, sealed: string, aad: string): { plaintext: Buffer; sealedWithPrevious: boolean } {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error("the sealed secret is not in the v1 format");
  const body = sealed.slice(SEALED_PREFIX.length);
  const payload = Buffer.from(body, "base64url");
  // Node's base64 decoder skips what it cannot read; only a canonical encoding is accepted.
  if (!base64urlPattern.test(body) || payload.toString("base64url") !== body || payload.length < IV_BYTES + TAG_BYTES) {
    throw new Error("the sealed secret is malformed");
  }
  const iv = payload.subarray(0, IV_BYTES);
  const ciphertext = payload.subarray(IV_BYTES, payload.length - TAG_BYTES);
  const tag = payload.subarray(payload.length - TAG_BYTES);
  const candidates: [key: Buffer, isPrevious: boolean][] = [[keys.current, false]];
  if (keys.previous) candidates.push([keys.previous, true]);
  for (const [key, isPrevious] of candidates) {
    const plaintext = tryOpen(key, iv, ciphertext, tag, aad);
    if (plaintext !== null) return { plaintext, sealedWithPrevious: isPrevious };
  }
  throw new Error("no secret-box key opens the sealed secret (damaged value, wrong owner, or a changed secret key)");
}

/** AES-256-GCM decryption, or `null` when the tag does not check out under this key. */
function tryOpen(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: string): Buffer | null {
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}
