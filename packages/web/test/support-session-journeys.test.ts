/**
 * Support sessions in a real browser (Chromium) against a real Harmont server: an operator, made
 * with the real `harmont-server users grant-operator` on the server's database, starts one from
 * `/support` with a fresh two-step code, sees the person's account under the banner on every
 * page, cannot change it, and ends it back into their own account. Then the refusals: someone
 * who is not an operator, an operator without two-step verification, a wrong code, an unknown
 * account and their own; and ending a support session whose operator was signed out meanwhile.
 *
 * Throughout, no session token (`hmt_…`) is where a page script could read it or in a URL.
 */
import type { Page } from "playwright-core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { currentCode, turnOnTwoStep, wrongCode } from "./support/authenticator.js";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
import { startHarmont, type RunningHarmont } from "./support/harmont.js";
import { eventually, pageReadableState, password, signInWithPassword, signUpVerified } from "./support/pages.js";
import { saveScreenshot } from "./support/screenshots.js";

const ada = { name: "Ada Lovelace", email: "ada@example.com" };
const operator = { name: "Olive Operator", email: "op@example.com" };
const reason = "Ticket #4821: the org settings page is blank";

/** What the browser's session says of itself, asked the way the page asks (its cookie). */
async function currentSession(page: Page): Promise<{ status: number; email: string | null; name: string | null; impersonator: string | null }> {
  return page.evaluate(async () => {
    const response = await fetch("/api/v0/auth/session");
    if (!response.ok) return { status: response.status, email: null, name: null, impersonator: null };
    const body = (await response.json()) as { user: { email: string; name: string | null }; impersonation: { impersonator: { email: string } } | null };
    return { status: response.status, email: body.user.email, name: body.user.name, impersonator: body.impersonation?.impersonator.email ?? null };
  });
}

/** No session token in anything a page script could read, or in any URL the pages requested. */
async function expectNoTokenReadable(browser: TestBrowser): Promise<void> {
  expect(`${browser.page.url()} ${await pageReadableState(browser.page)}`).not.toMatch(/hmt_/);
  for (const url of browser.requests) expect(url).not.toMatch(/hmt_/);
}

/** On `/support`: the account, the reason, a code (of the app unless `backupCode`), and Start. */
async function startSupportSession(page: Page, input: { email: string; reason: string; code: string; backupCode?: boolean }): Promise<void> {
  const form = page.getByRole("form", { name: "Start a support session" });
  await form.getByLabel("Email of the account").fill(input.email);
  await form.getByLabel("Reason").fill(input.reason);
  if (input.backupCode) {
    await form.getByRole("button", { name: "Use a backup code instead" }).click();
    await form.getByLabel("Backup code").fill(input.code);
  } else {
    await form.getByLabel("6-digit code from your authenticator app").fill(input.code);
  }
  await form.getByRole("button", { name: "Start support session" }).click();
}

describeInChromium("support sessions in Chromium", () => {
  let harmont: RunningHarmont;
  let browser: TestBrowser;

  beforeEach(async () => {
    harmont = await startHarmont();
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await browser?.close();
    await harmont?.stop();
  });

  it("an operator views an account under the banner on every page, cannot change it, and ends it back into their own account", async () => {
    const { page } = browser;
    await harmont.createAccount(ada.email, password, ada.name);
    await signUpVerified(page, harmont, operator);
    const { secret, backupCodes } = await turnOnTwoStep(page);
    expect(harmont.runCommand(["users", "grant-operator", "--email", operator.email])).toContain(`${operator.email} is now a platform operator`);

    await page.goto(`${harmont.url}/support`);
    await page.getByRole("heading", { name: "Start a support session" }).waitFor();
    const banner = page.getByRole("region", { name: "Support session" });
    expect(await banner.count()).toBe(0);
    await startSupportSession(page, { email: ada.email, reason, code: currentCode(secret) });

    // The account page, now Ada's, under a banner naming the operator, the end and the reason.
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/account");
    await banner.waitFor();
    const said = await banner.textContent();
    expect(said).toContain(`Viewing as ${ada.email}`);
    expect(said).toContain(`support session by ${operator.email}, ends`);
    expect(said).toContain(`Reason: ${reason}`);
    expect(await page.locator(".profile__email").textContent()).toBe(ada.email);
    expect(await page.locator(".topbar__email").textContent()).toBe(ada.email);
    expect(await currentSession(page)).toEqual({ status: 200, email: ada.email, name: ada.name, impersonator: operator.email });
    await saveScreenshot(page, "support-session-account");

    // Both sessions are HttpOnly cookies; the operator's own is sent to the end call only.
    // (Every cookie of the profile: asked for by a URL, only those whose path it is under come back.)
    const cookies = await browser.context.cookies();
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(["harmont_operator_session", "harmont_session"]);
    for (const cookie of cookies) expect(cookie.httpOnly).toBe(true);
    expect(cookies.find((cookie) => cookie.name === "harmont_operator_session")?.path).toBe("/api/v0/admin/impersonations");
    await expectNoTokenReadable(browser);

    // A change is refused with words that say why, and nothing changed.
    const profile = page.getByRole("form", { name: "Display name" });
    await profile.getByLabel("Display name").fill("Not Ada");
    await profile.getByRole("button", { name: "Save name" }).click();
    await eventually(() => page.locator(".settings", { has: profile }).getByRole("alert").textContent()).toContain("Not possible in a support session");
    expect((await currentSession(page)).name).toBe(ada.name);

    // The banner is on every page, and stays after a reload (the cookie holds the support session).
    await page.reload();
    await banner.waitFor();
    await page.goto(`${harmont.url}/orgs/new`);
    await banner.waitFor();
    await page.goto(`${harmont.url}/support`);
    await banner.waitFor();
    await page.getByText(`This browser is in a support session of ${ada.email}.`).waitFor();

    // End: the operator's own session is back, with their account and no banner.
    await banner.getByRole("button", { name: "End support session" }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await eventually(() => page.locator(".profile__email").textContent()).toBe(operator.email);
    expect(new URL(page.url()).pathname).toBe("/account");
    expect(await banner.count()).toBe(0);
    expect(await page.locator(".topbar__email").textContent()).toBe(operator.email);
    expect(await currentSession(page)).toEqual({ status: 200, email: operator.email, name: operator.name, impersonator: null });
    expect((await browser.context.cookies()).map((cookie) => cookie.name)).toEqual(["harmont_session"]);

    // Another one, with a backup code this time; the operator is signed out everywhere meanwhile
    // (the support session dies with their session), so End leads to signing in again.
    await page.goto(`${harmont.url}/support`);
    await startSupportSession(page, { email: ada.email, reason, code: backupCodes[0]!, backupCode: true });
    await banner.waitFor();
    expect(await page.locator(".profile__email").textContent()).toBe(ada.email);
    // Every panel of the page has loaded first: one still loading when the operator loses their
    // sessions would get a 401, read the session again and leave the page before End is pressed.
    await page.waitForLoadState("networkidle");
    expect(harmont.runCommand(["users", "revoke-operator", "--email", operator.email])).toContain("is no longer an operator");
    await banner.getByRole("button", { name: "End support session" }).click();
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    expect(await banner.count()).toBe(0);
    expect((await currentSession(page)).status).toBe(401);

    await expectNoTokenReadable(browser);
    expect(browser.cspViolations).toEqual([]);
  });

  it("refuses someone who is not an operator, an operator without two-step verification, a wrong code, an unknown account and their own, each in its own words", async () => {
    const { page } = browser;
    await harmont.createAccount(ada.email, password, ada.name);
    await signUpVerified(page, harmont, operator);
    const starts: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/v0/admin/impersonations") starts.push(request.method());
    });

    await page.goto(`${harmont.url}/support`);
    const form = page.getByRole("form", { name: "Start a support session" });
    const refusal = form.getByRole("alert");

    // Not an operator (yet): the server says only operators may, and the page says how one is made.
    await startSupportSession(page, { email: ada.email, reason, code: "123456" });
    await eventually(() => refusal.textContent()).toContain("Only platform operators can start support sessions.");
    expect(await refusal.textContent()).toContain("harmont-server users grant-operator");
    await saveScreenshot(page, "support-session-refused");

    // An operator, but without two-step verification.
    harmont.runCommand(["users", "grant-operator", "--email", operator.email]);
    await form.getByRole("button", { name: "Start support session" }).click();
    await eventually(() => refusal.textContent()).toContain("Operators must turn on two-step verification first.");

    await page.goto(`${harmont.url}/account`);
    const { secret } = await turnOnTwoStep(page);
    await page.goto(`${harmont.url}/support`);

    // A reason that is too short once its spaces are folded is caught before anything is sent.
    const sent = starts.length;
    await startSupportSession(page, { email: ada.email, reason: "short          .", code: currentCode(secret) });
    await eventually(() => refusal.textContent()).toContain("Write why, in 10 to 500 characters");
    expect(starts.length).toBe(sent);

    // A wrong code: its message, and the field is emptied for a fresh one.
    await startSupportSession(page, { email: ada.email, reason, code: wrongCode(secret) });
    await eventually(() => refusal.textContent()).toContain("The code is not valid.");
    expect(await refusal.textContent()).toContain("Each code works once");
    expect(await form.getByLabel("6-digit code from your authenticator app").inputValue()).toBe("");

    // No such account; and their own (an operator's) account.
    await startSupportSession(page, { email: "nobody@example.com", reason, code: currentCode(secret) });
    await eventually(() => refusal.textContent()).toContain("No account uses nobody@example.com");
    await startSupportSession(page, { email: operator.email, reason, code: currentCode(secret) });
    await eventually(() => refusal.textContent()).toContain("cannot be viewed in a support session: it is your own, or another operator's");

    // None of it started anything: the browser is still the operator's, with no banner.
    expect(starts.length).toBe(sent + 3);
    expect(await page.getByRole("region", { name: "Support session" }).count()).toBe(0);
    expect(await currentSession(page)).toEqual({ status: 200, email: operator.email, name: operator.name, impersonator: null });
    expect((await browser.context.cookies()).map((cookie) => cookie.name)).toEqual(["harmont_session"]);
    await expectNoTokenReadable(browser);
    expect(browser.cspViolations).toEqual([]);
  });

  it("sends a signed-out visitor of /support to sign in first, and back", async () => {
    const { page } = browser;
    await harmont.createAccount(ada.email, password, ada.name);
    await page.goto(`${harmont.url}/support`);
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    await signInWithPassword(page, ada.email);
    await page.getByRole("heading", { name: "Start a support session" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/support");
  });
});
