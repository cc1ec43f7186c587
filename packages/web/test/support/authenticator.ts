/**
 * An authenticator app, played by otpauth on the real clock (the server of the journeys runs on
 * it too), and turning two-step verification on the way a person does.
 *
 * The server accepts a code of the step before or after its own (30-second steps), and each step
 * once per account. So a journey confirms the setup with the code the app showed a moment ago
 * (`previousCode`) and can then sign in with the current one (`currentCode`) at once, instead of
 * waiting up to 30 seconds for the next.
 */
import * as OTPAuth from "otpauth";
import type { Page } from "playwright-core";
import { password } from "./pages.js";

const STEP_MS = 30_000;

function codeAt(secret: string, timestamp: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp });
}

/** The code the app shows now. */
export function currentCode(secret: string): string {
  return codeAt(secret, Date.now());
}

/**
 * The code the app showed in the step before this one. Only good while the server is still in
 * this step (one step back is as far as it looks), so a code is not read in the last moments of
 * a step: it waits for the next one first.
 */
export async function previousCode(secret: string): Promise<string> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 4_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return codeAt(secret, Date.now() - STEP_MS);
}

/** Six digits that are none of the codes the server would accept now. */
export function wrongCode(secret: string): string {
  const now = Date.now();
  const accepted = new Set([-2, -1, 0, 1, 2].map((steps) => codeAt(secret, now + steps * STEP_MS)));
  for (const candidate of ["000000", "111111", "222222", "333333", "444444", "555555"]) {
    if (!accepted.has(candidate)) return candidate;
  }
  throw new Error("unreachable");
}

/** The key as the page shows it for typing ("ABCD EFGH …"), as an app takes it. */
export async function readSecret(page: Page): Promise<string> {
  return ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
}

export async function readBackupCodes(page: Page): Promise<string[]> {
  return (await page.getByTestId("backup-codes").getByRole("listitem").allTextContents()).map((code) => code.trim());
}

/**
 * On the account page: turn two-step verification on with the password, scan (read) the key,
 * confirm with a code, note the backup codes and say they are saved.
 */
export async function turnOnTwoStep(page: Page): Promise<{ secret: string; backupCodes: string[] }> {
  await page.getByRole("button", { name: "Turn on two-step verification" }).click();
  const start = page.getByRole("form", { name: "Turn on two-step verification" });
  await start.getByLabel("Your password").fill(password);
  await start.getByRole("button", { name: "Continue" }).click();
  await page.getByTestId("totp-secret").waitFor();
  const secret = await readSecret(page);
  const confirm = page.getByRole("form", { name: "Confirm your authenticator app" });
  await confirm.getByLabel("6-digit code from your authenticator app").fill(await previousCode(secret));
  await confirm.getByRole("button", { name: "Turn on", exact: true }).click();
  await page.getByTestId("backup-codes").waitFor();
  const backupCodes = await readBackupCodes(page);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await page.getByTestId("backup-codes-left").waitFor();
  return { secret, backupCodes };
}
