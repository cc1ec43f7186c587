/**
 * Emailed codes: 8 digits, single use, a limited life, at most 5 tries. A new request replaces
 * the old code. The attempt counter goes up before the comparison, in one conditional write, so
 * concurrent guesses cannot exceed the limit; the use itself is a second conditional write.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import type { AuthDeps } from "./context.js";
import { hashSecret } from "./tokens.js";
import type { EmailCodePurpose } from "./types.js";

export const EMAIL_CODE_MAX_ATTEMPTS = 5;
const emailCodePattern = /^\d{8}$/;

export function generateEmailCode(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, "0");
}

/** Makes, stores and mails a code. Only the stored address ever receives it. */
export async function issueEmailCode(
  deps: Pick<AuthDeps, "store" | "clock" | "notifier" | "emailCodeTtlMs">,
  email: string,
  purpose: EmailCodePurpose,
): Promise<void> {
  const code = generateEmailCode();
  const now = deps.clock.now();
  await deps.store.emailCodes.replace({
    email,
    purpose,
    codeHash: hashSecret(code),
    attempts: 0,
    createdAt: now,
    expiresAt: now + deps.emailCodeTtlMs,
  });
  const minutes = Math.round(deps.emailCodeTtlMs / 60_000);
  if (purpose === "sign_in") await deps.notifier.sendSignInCode(email, code, minutes);
  else await deps.notifier.sendVerificationCode(email, code, minutes);
}

/** Checks and uses a code. `false` for wrong, used, expired and exhausted codes alike. */
export async function useEmailCode(
  deps: Pick<AuthDeps, "store" | "clock">,
  email: string,
  purpose: EmailCodePurpose,
  typed: string,
): Promise<boolean> {
  const code = typed.replace(/[\s-]/g, "");
  const storedHash = await deps.store.emailCodes.countAttempt(email, purpose, deps.clock.now(), EMAIL_CODE_MAX_ATTEMPTS);
  if (!storedHash || !emailCodePattern.test(code)) return false;
  const typedHash = hashSecret(code);
  if (!timingSafeEqual(Buffer.from(typedHash), Buffer.from(storedHash))) return false;
  return deps.store.emailCodes.consume(email, purpose, storedHash);
}
