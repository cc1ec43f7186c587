/**
 * Backup codes: one-time codes for signing in without the authenticator app, shown once as
 * `K7P2-QR9M-X3WZ-4NTV`. Sixteen characters of Crockford base32: the first four name the code
 * (they find its row and are not secret), the other twelve are the secret (60 bits).
 * @see https://www.crockford.com/base32.html
 */
import { randomInt } from "node:crypto";

/** Codes in a new set; each signs in once. */
export const BACKUP_CODE_COUNT = 10;

const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_ID_LENGTH = 4;
const SECRET_LENGTH = 12;
const MAX_INPUT_LENGTH = 64;
// Code ids are drawn distinct from 32^4 (about a million), so a set stays far smaller.
const MAX_CODES_IN_A_SET = 1000;
const canonicalPattern = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/**
 * A backup code as generated: `codeId` (4 characters, distinct within its set, not secret) to find
 * it, `secret` (the other 12) to check it, and `display`, all 16 grouped in fours, for the user.
 */
export interface GeneratedBackupCode {
  codeId: string;
  secret: string;
  display: string;
}

/** A new set of backup codes. Every character is an unbiased draw from the OS CSPRNG. */
export function generateBackupCodes(count = BACKUP_CODE_COUNT): GeneratedBackupCode[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_CODES_IN_A_SET) {
    throw new RangeError(`a set holds 0 to ${MAX_CODES_IN_A_SET} backup codes`);
  }
  const codeIds = new Set<string>();
  const codes: GeneratedBackupCode[] = [];
  while (codes.length < count) {
    const codeId = randomCrockford(CODE_ID_LENGTH);
    if (codeIds.has(codeId)) continue;
    codeIds.add(codeId);
    const secret = randomCrockford(SECRET_LENGTH);
    codes.push({ codeId, secret, display: groupInFours(codeId + secret) });
  }
  return codes;
}

/**
 * The code id and secret of a typed backup code, or `null` when it cannot be one. Read the way
 * people type: any case, spaces and dashes dropped, O read as 0 and I or L as 1. Input longer
 * than 64 characters is refused before any work is done on it.
 */
export function normalizeBackupCode(input: string): { codeId: string; secret: string } | null {
  if (typeof input !== "string" || input.length > MAX_INPUT_LENGTH) return null;
  const canonical = input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (!canonicalPattern.test(canonical)) return null;
  return { codeId: canonical.slice(0, CODE_ID_LENGTH), secret: canonical.slice(CODE_ID_LENGTH) };
}

function randomCrockford(length: number): string {
  let text = "";
  for (let index = 0; index < length; index++) text += CROCKFORD_ALPHABET.charAt(randomInt(CROCKFORD_ALPHABET.length));
  return text;
}

function groupInFours(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}
