/**
 * Emailed codes: 8 digits, single use, a limited life, at most 5 tries. A new request replaces
 * the old code. The attempt counter goes up before the comparison, in one conditional write, so
 * concurrent guesses cannot exceed the limit; the use itself is a second conditional write.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import type { AuthDeps, Notifier } from "./context.js";

export type EmailCodePurpose = "sign_in" | "verify_email";

/** An emailed code, stored under its SHA-256; one live code per address and purpose. */
export interface EmailCode {
  email: string;
  purpose: EmailCodePurpose;
  codeHash: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
}

export interface EmailCodeStore {
  /** Stores a code, replacing any earlier one for the same address and purpose. */
  replace(code: EmailCode): Promise<void>;
  /**
   * Counts one attempt before any comparison, in one conditional write, and returns the code's
   * hash; `null` when there is no live code or it has used up its attempts.
   */
  countAttempt(email: string, purpose: EmailCodePurpose, now: number, maxAttempts: number): Promise<string | null>;
  /** Deletes the code if it still has this hash: of concurrent callers exactly one gets `true`. */
  consume(email: string, purpose: EmailCodePurpose, codeHash: string): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

type EmailCodeMail = (notifier: Notifier, to: string, code: string, ttlMinutes: number) => Promise<void>;

/**
 * Which mail carries a code of each purpose. A `Record` over the purposes, so a purpose added
 * without its mail is a compile error rather than a code sent in the wrong words.
 */
const emailCodeMails: Record<EmailCodePurpose, EmailCodeMail> = {
  sign_in: (notifier, to, code, minutes) => notifier.sendSignInCode(to, code, minutes),
  verify_email: (notifier, to, code, minutes) => notifier.sendVerificationCode(to, code, minutes),
};

export const EMAIL_CODE_MAX_ATTEMPTS = 5;
const emailCodePattern = /^\d{8}$/;

export function generateEmailCode(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, "0");
}

/** Makes, stores and mails a code. Only the stored address ever receives it. */
export async function issueEmailCode(
  deps: Pick<AuthDeps, "store" | "clock" | "notifier" | "emailCodeTtlMs" | "shortCodes">,
  email: string,
  purpose: EmailCodePurpose,
): Promise<void> {
  const code = generateEmailCode();
  const now = deps.clock.now();
  await deps.store.emailCodes.replace({
    email,
    purpose,
    codeHash: deps.shortCodes.hash(code),
    attempts: 0,
    createdAt: now,
    expiresAt: now + deps.emailCodeTtlMs,
  });
  const minutes = Math.round(deps.emailCodeTtlMs / 60_000);
  await emailCodeMails[purpose](deps.notifier, email, code, minutes);
}

/** Checks and uses a code. `false` for wrong, used, expired and exhausted codes alike. */
export async function useEmailCode(
  deps: Pick<AuthDeps, "store" | "clock" | "shortCodes">,
  email: string,
  purpose: EmailCodePurpose,
  typed: string,
): Promise<boolean> {
  const code = typed.replace(/[\s-]/g, "");
  const storedHash = await deps.store.emailCodes.countAttempt(email, purpose, deps.clock.now(), EMAIL_CODE_MAX_ATTEMPTS);
  if (!storedHash || !emailCodePattern.test(code)) return false;
  const typedHash = deps.shortCodes.hash(code);
  if (!timingSafeEqual(Buffer.from(typedHash), Buffer.from(storedHash))) return false;
  return deps.store.emailCodes.consume(email, purpose, storedHash);
}
