/**
 * Time-based one-time passwords (RFC 6238) for authenticator apps, on the HMAC of `node:crypto`.
 * Secrets travel as unpadded base32 (RFC 4648), the form authenticator apps expect.
 * @see https://www.rfc-editor.org/rfc/rfc6238
 * @see https://www.rfc-editor.org/rfc/rfc4226
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Seconds each code stays current: the period every common authenticator app assumes. */
export const TOTP_PERIOD_S = 30;
/** Digits in a code. */
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one, for clock drift and slow typing. */
export const TOTP_WINDOW = 1;

const TOTP_SECRET_BYTES = 20;
const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const totpCodePattern = /^[0-9]{6}$/;

/** A new TOTP secret: 160 random bits, the HMAC-SHA-1 key size RFC 4226 recommends. */
export function generateTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** Bytes as RFC 4648 base32 without `=` padding, the way otpauth URIs carry secrets. */
export function encodeBase32(bytes: Buffer): string {
  let text = "";
  let pending = 0;
  let pendingBits = 0;
  for (const byte of bytes) {
    pending = (pending << 8) | byte;
    pendingBits += 8;
    while (pendingBits >= 5) {
      pendingBits -= 5;
      text += BASE32_ALPHABET.charAt((pending >> pendingBits) & 31);
    }
    pending &= (1 << pendingBits) - 1;
  }
  if (pendingBits > 0) text += BASE32_ALPHABET.charAt((pending << (5 - pendingBits)) & 31);
  return text;
}

/**
 * Unpadded base32 back to bytes, or `null` when the text cannot be base32: a character outside
 * A–Z and 2–7 (padding included), or a length no whole number of bytes encodes to. Letters may
 * be in either case and spaces are ignored, as people copy secrets in groups.
 */
export function decodeBase32(text: string): Buffer | null {
  const characters = text.replace(/ /g, "").toUpperCase();
  // 8 characters hold 5 bytes; a tail of 1, 3 or 6 characters is a cut-off secret.
  if ([1, 3, 6].includes(characters.length % 8)) return null;
  const bytes: number[] = [];
  let pending = 0;
  let pendingBits = 0;
  for (const character of characters) {
    const value = BASE32_ALPHABET.indexOf(character);
    if (value === -1) return null;
    pending = (pending << 5) | value;
    pendingBits += 5;
    if (pendingBits >= 8) {
      pendingBits -= 8;
      bytes.push((pending >> pendingBits) & 255);
    }
    pending &= (1 << pendingBits) - 1;
  }
  return Buffer.from(bytes);
}

/**
 * The HOTP code (RFC 4226) of a key and counter: the HMAC of the counter as 8 big-endian bytes,
 * cut down by dynamic truncation (§5.3) to `digits` decimal digits, zero-padded. TOTP is this
 * with the time step as the counter.
 */
export function hotp(
  key: Buffer,
  counter: number,
  digits = TOTP_DIGITS,
  algorithm: "sha1" | "sha256" | "sha512" = "sha1",
): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("the HOTP counter must be a non-negative integer");
  // A truncated value holds 31 bits, so at most 10 decimal digits.
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError("an HOTP code has 6 to 10 digits");
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  const truncated = mac.readUInt32BE(offset) & 0x7fffffff;
  return (truncated % 10 ** digits).toString().padStart(digits, "0");
}

/** The TOTP time step of a moment: whole 30-second periods since the Unix epoch. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_S);
}

/**
 * The time step whose code a user typed, or `null`. Only steps within TOTP_WINDOW of now count,
 * and only those after `lastUsedStep`, so a code (or an earlier one) cannot be used twice; pass
 * -1 when the account has not used a code yet. Anything but exactly six ASCII digits is simply
 * not a match. Every candidate step is computed and compared in constant time, whichever matches.
 */
export function matchTotp(key: Buffer, code: string, nowMs: number, lastUsedStep: number): number | null {
  if (typeof code !== "string" || !totpCodePattern.test(code)) return null;
  const typed = Buffer.from(code, "ascii");
  const currentStep = totpStep(nowMs);
  let matchedStep: number | null = null;
  for (let step = currentStep - TOTP_WINDOW; step <= currentStep + TOTP_WINDOW; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(key, step, TOTP_DIGITS), "ascii");
    const equal = timingSafeEqual(expected, typed);
    if (equal && step > lastUsedStep && matchedStep === null) matchedStep = step;
  }
  return matchedStep;
}

/**
 * The `otpauth://` URI an authenticator app reads from a QR code, in the Key URI format: label
 * `issuer:account`, and the issuer again as a parameter. Issuer and account are percent-encoded;
 * apps split the label at its first colon, encoded or not, so the issuer should not contain one.
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
export function otpauthUri(issuer: string, account: string, secretBase32: string): string {
  const encodedIssuer = encodeURIComponent(issuer);
  const label = `${encodedIssuer}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secretBase32}&issuer=${encodedIssuer}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_S}`;
}
