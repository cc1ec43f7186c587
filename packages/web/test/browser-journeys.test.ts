/**
 * The web app in a real browser (Debian's Chromium through playwright-core) against a real
 * Harmont server with a fresh database and real mail: sign-up, both ways of signing in, the
 * CLI authorize page (with the detour through sign-in), Deny, the paste code page, the
 * account page, two-step verification (turning it on and off, the sign-in's second step,
 * and approving a sign-in from another signed-in browser), and the device login page (`/device`,
 * RFC 8628). The CLI's side is played by plain HTTP calls and a loopback listener here (and, for
 * the device login, form posts to the OAuth endpoints, as any OAuth client makes them); the
 * journeys with the real `harmont` binary are in cli-journeys.test.ts.
 */
import { generateNonce, verificationPhrase, type DeviceAuthorizationResponse } from "@harmont/cloud";
import type { Page } from "playwright-core";
import QRCode from "qrcode";
import { afterEach, beforeEach, expect, it } from "vitest";
import { webAppSecurityPolicy } from "../../server/src/routes/web-app.js";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
import { startHarmont, type RunningHarmont } from "./support/harmont.js";
import { currentCode, previousCode, readBackupCodes, readSecret, turnOnTwoStep, wrongCode } from "./support/authenticator.js";
import { startLoopbackListener } from "./support/loopback.js";
import { eventually, expectCleanBrowser, pageReadableState, password, recordFirstRenderAddress, signInWithPassword, signUp, signUpVerified, watchApiCalls } from "./support/pages.js";
import { saveScreenshot } from "./support/screenshots.js";

/** What this browser's session says of itself. */
async function currentSession(page: Page): Promise<{ status: number; verified: boolean | null }> {
  return page.evaluate(async () => {
    const response = await fetch("/api/v0/auth/session");
    if (!response.ok) return { status: response.status, verified: null };
    const body = (await response.json()) as { session: { second_factor_verified: boolean } };
    return { status: response.status, verified: body.session.second_factor_verified };
  });
}

async function signOut(page: Page): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/account`);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
}

/** Neither the sign-in's challenge token nor `secrets` in the address bar, in anything a page script could read, or in any URL requested. */
async function expectNothingLeaked(browser: TestBrowser, secrets: string[] = []): Promise<void> {
  const readable = `${browser.page.url()} ${await pageReadableState(browser.page)}`;
  expect(readable).not.toContain("hch_");
  for (const secret of secrets) expect(readable).not.toContain(secret);
  for (const url of browser.requests) {
    expect(url).not.toContain("hch_");
    for (const secret of secrets) expect(url).not.toContain(secret);
  }
}

/** A device (any OAuth client) starts a device login, as RFC 8628 §3.1 has it: a form post, no cookie. */
async function startDeviceLogin(
  harmont: RunningHarmont,
  options: { clientId?: string; name?: string; userAgent?: string } = {},
): Promise<DeviceAuthorizationResponse> {
  const response = await fetch(`${harmont.url}/api/v0/oauth/device_authorization`, {
    method: "POST",
    headers: options.userAgent ? { "user-agent": options.userAgent } : {},
    body: new URLSearchParams({ client_id: options.clientId ?? "harmont-cli", ...(options.name ? { name: options.name } : {}) }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as DeviceAuthorizationResponse;
}

/** One poll of the token endpoint by that device (RFC 8628 §3.4). */
async function pollDeviceToken(harmont: RunningHarmont, deviceCode: string, clientId = "harmont-cli"): Promise<{ status: number; body: any }> {
  const response = await fetch(`${harmont.url}/api/v0/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: clientId, device_code: deviceCode }),
  });
  return { status: response.status, body: await response.json() };
}

/** A user code of the right shape that is not `real` (the alphabet has no vowels and no digits). */
function otherUserCode(real: string, seed: number): string {
  const alphabet = "BCDFGHJKLMNPQRSTVWXZ";
  for (let shift = seed; ; shift++) {
    const code = Array.from({ length: 8 }, (_, index) => alphabet[(shift * 7 + index * 3) % alphabet.length]).join("");
    const grouped = `${code.slice(0, 4)}-${code.slice(4)}`;
    if (grouped !== real) return grouped;
  }
}

describeInChromium("web app in Chromium", () => {
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

  /** Same checks after every journey: no CSP violation, nothing fetched from another origin. */
  function expectCleanPages(allowedOrigins: string[] = []) {
    expectCleanBrowser(browser, [harmont.url, ...allowedOrigins]);
  }

  it("signs up with a cookie session the page cannot read, verifies the email, and signs out", async () => {
    const { page } = browser;
    const email = "ada@example.com";

    // The start page sends a signed-out visitor to sign in.
    await page.goto(harmont.url);
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    await saveScreenshot(page, "sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create your Harmont account" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-up");
    await saveScreenshot(page, "sign-up");

    // A password the server refuses: its reason is shown, nothing else changes.
    await page.getByLabel("Name (optional)").fill("Ada Lovelace");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("password");
    await page.getByRole("button", { name: "Create account" }).click();
    await eventually(() => page.getByRole("alert").textContent()).toMatch(/common/i);
    await saveScreenshot(page, "sign-up-error");

    const mailsBefore = harmont.smtp.messages.length;
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/account");
    await page.getByText("Email not verified").waitFor();

    // The session lives in an HttpOnly cookie: nothing a page script can read holds a token.
    expect(await pageReadableState(page)).not.toMatch(/hmt_/);
    const cookies = await browser.context.cookies(harmont.url);
    expect(cookies).toEqual([expect.objectContaining({ name: "harmont_session", httpOnly: true, sameSite: "Lax", path: "/" })]);

    // Confirm the address with the code from the real mail.
    const code = await harmont.nextCode(email, mailsBefore);
    await page.getByLabel("Confirmation code").fill(code);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Email verified").waitFor();
    const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await eventually(() => sessions.count()).toBe(1);
    await eventually(() => sessions.first().textContent()).toContain("This browser");
    await saveScreenshot(page, "account");

    // A reload keeps the session (the cookie), and signing out ends it on the server.
    await page.reload();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    expect(await browser.context.cookies(harmont.url)).toEqual([]);
    const after = await page.evaluate(async () => (await fetch("/api/v0/auth/session")).status);
    expect(after).toBe(401);
    expectCleanPages();
  });

  it("signs in with a password and with an emailed code, with clear errors and buttons disabled while waiting", async () => {
    const { page } = browser;
    const email = "grace@example.com";
    await harmont.createAccount(email, password, "Grace Hopper");

    // A wrong password: one clear message, the same whether the email or the password was wrong.
    await page.goto(`${harmont.url}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    // Hold the answer back a moment to see the button while the request is in flight.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/api/v0/auth/login", async (route) => {
      await held;
      await route.continue();
    });
    const button = page.getByRole("button", { name: "Sign in", exact: true });
    await button.click();
    await eventually(() => button.isDisabled()).toBe(true);
    expect(await button.getAttribute("aria-busy")).toBe("true");
    release();
    await eventually(() => page.getByRole("alert").textContent()).toContain("The email or password is incorrect.");
    expect(await button.isDisabled()).toBe(false);
    await page.unroute("**/api/v0/auth/login");

    await signInWithPassword(page, email);
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await page.getByText("Grace Hopper").waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();

    // The emailed code: a wrong one is refused, the one from the real mail signs in.
    await page.getByRole("button", { name: "Email code" }).click();
    await page.getByLabel("Email", { exact: true }).fill(email);
    const mailsBefore = harmont.smtp.messages.length;
    await page.getByRole("button", { name: "Email me a code" }).click();
    await page.getByLabel("Code from the email").waitFor();
    await page.getByText(`We sent an 8-digit code to ${email}`).waitFor();
    await saveScreenshot(page, "sign-in-email-code");
    const code = await harmont.nextCode(email, mailsBefore);
    const wrong = code === "00000000" ? "11111111" : "00000000";
    await page.getByLabel("Code from the email").fill(wrong);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await eventually(() => page.getByRole("alert").textContent()).toContain("The email code is not valid.");
    await page.getByLabel("Code from the email").fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expectCleanPages();
  });

  it("journey 4: signed out, an authorize link goes through sign-in and back, and Authorize hands the login to the CLI and says when it is signed in", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    const listener = await startLoopbackListener();
    try {
      const nonce = generateNonce();
      const state = "st4te-from-the-cli";
      const name = "harmont CLI on ada-laptop";
      const link = `${harmont.url}/cli-login?nonce=${nonce}&port=${listener.port}&state=${state}&name=${encodeURIComponent(name)}`;

      const response = await page.goto(link);
      expect(response?.headers()["content-security-policy"]).toBe(webAppSecurityPolicy);
      expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
      expect(response?.headers()["cache-control"]).toBe("no-store");

      // Signed out: to the sign-in page, which says why and will come back. The nonce is out of the address bar.
      await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
      expect(page.url()).toBe(`${harmont.url}/sign-in?return=%2Fcli-login`);
      await page.getByText("Sign in to continue the login you started in your terminal.").waitFor();
      expect(await page.evaluate(() => window.location.href)).not.toContain(nonce);

      // By keyboard: Enter in the password field submits.
      await page.getByLabel("Email", { exact: true }).fill(email);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByLabel("Password", { exact: true }).press("Enter");
      await page.getByRole("heading", { name: "Authorize the Harmont CLI" }).waitFor();
      expect(page.url()).toBe(`${harmont.url}/cli-login`);

      // The consent: who, the same phrase as the terminal, what will happen, the warning.
      const consent = page.locator(".consent");
      expect(await consent.textContent()).toContain(email);
      await eventually(() => page.getByTestId("verification-phrase").textContent()).toBe(await verificationPhrase(nonce));
      expect(await consent.textContent()).toContain(`A new CLI session named “${name}” will be created.`);
      expect(await page.getByRole("note").textContent()).toContain(
        "Only continue if you just started a login in your own terminal (harmont login).",
      );
      const authorize = page.getByRole("button", { name: "Authorize", exact: true });
      const deny = page.getByRole("button", { name: "Deny", exact: true });
      // Equal weight: the same size, side by side.
      const [authorizeBox, denyBox] = [await authorize.boundingBox(), await deny.boundingBox()];
      expect(authorizeBox && denyBox && [authorizeBox.width, authorizeBox.height]).toEqual(denyBox && [denyBox.width, denyBox.height]);
      await saveScreenshot(page, "cli-authorize");

      // Nothing has been parked yet: the CLI's claim still waits.
      expect((await harmont.api("/api/v0/auth/cli/claim", { json: { nonce } })).body.error.code).toBe("cli_code_invalid");

      // Keyboard only: Tab reaches Authorize, its focus ring shows, Enter presses it.
      for (let presses = 0; presses < 20; presses++) {
        await page.keyboard.press("Tab");
        if (await authorize.evaluate((element) => element === document.activeElement)) break;
      }
      expect(await authorize.evaluate((element) => element === document.activeElement)).toBe(true);
      expect(await authorize.evaluate((element) => getComputedStyle(element).outlineStyle)).toBe("solid");
      await page.keyboard.press("Enter");
      // A background request to the CLI's loopback listener, with the state, no Referer and no
      // cookie; the tab stays on Harmont and says the login waits for the terminal.
      const callback = await listener.received;
      expect(callback.url).toBe(`/callback?state=${state}`);
      expect(callback.headers.referer).toBeUndefined();
      expect(callback.headers.cookie).toBeUndefined();
      expect(callback.headers.origin).toBe(harmont.url);
      await page.getByRole("heading", { name: "Approved — your terminal will pick this up" }).waitFor();
      expect(page.url()).toBe(`${harmont.url}/cli-login`);
      await saveScreenshot(page, "cli-approved");

      // The CLI claims its session: a token that works, once.
      const claimed = await harmont.api("/api/v0/auth/cli/claim", { json: { nonce, name } });
      expect(claimed.status).toBe(200);
      expect(claimed.body.token).toMatch(/^hmt_/);
      const current = await harmont.api("/api/v0/auth/session", { token: claimed.body.token });
      expect(current.body).toMatchObject({ user: { email }, session: { kind: "cli", name } });
      expect((await harmont.api("/api/v0/auth/cli/claim", { json: { nonce } })).status).toBe(400);
      // The page sees the new session (this browser's session made it) and says so.
      await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
      expect(await page.getByTestId("cli-session-name").textContent()).toBe(name);
      await page.getByText("You can close this tab.", { exact: false }).waitFor();
      await saveScreenshot(page, "cli-authorized");
      expect(page.url()).toBe(`${harmont.url}/cli-login`);

      // The nonce and the token never reached a log line; log lines name route patterns.
      expect(harmont.logs.text).not.toContain(nonce);
      expect(harmont.logs.text).not.toContain(claimed.body.token);
      expect(harmont.logs.text).not.toContain("/cli-login");
      expect(harmont.logs.text).toContain('"route":"/(web)"');
      expectCleanPages([`http://127.0.0.1:${listener.port}`]);
    } finally {
      await listener.close();
    }
  });

  it("Deny refuses the login, Authorize without a port waits on Harmont until the CLI claims, and a damaged link makes no call", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await signUp(page, harmont, { name: "Ada Lovelace", email });
    const answers: string[] = [];
    page.on("request", (request) => {
      if (/\/api\/v0\/auth\/cli\/(transfer|deny)$/.test(request.url())) answers.push(request.url());
    });

    // Deny: the CLI's next claim hears it.
    const denied = generateNonce();
    await page.goto(`${harmont.url}/cli-login?nonce=${denied}`);
    await page.getByRole("heading", { name: "Authorize the Harmont CLI" }).waitFor();
    expect(await page.locator(".consent").textContent()).toContain("A new CLI session will be created.");
    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await page.getByRole("heading", { name: "Login denied" }).waitFor();
    await saveScreenshot(page, "cli-denied");
    const claim = await harmont.api("/api/v0/auth/cli/claim", { json: { nonce: denied } });
    expect(claim.status).toBe(403);
    expect(claim.body.error.code).toBe("cli_handoff_denied");

    // Answered logins are forgotten: a reload has nothing left to approve.
    await page.reload();
    await page.getByRole("heading", { name: "No login to approve" }).waitFor();

    // No port (the CLI cannot listen, or the browser is elsewhere): the page waits for the CLI's
    // poll, and says so once it has claimed.
    const portless = generateNonce();
    await page.goto(`${harmont.url}/cli-login?nonce=${portless}&port=80&state=x`);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    await page.getByRole("heading", { name: "Approved — your terminal will pick this up" }).waitFor();
    expect((await harmont.api("/api/v0/auth/cli/claim", { json: { nonce: portless, name: "harmont CLI on build-box" } })).status).toBe(200);
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.getByTestId("cli-session-name").textContent()).toBe("harmont CLI on build-box");
    expect(new URL(page.url()).origin).toBe(harmont.url);

    // A malformed or missing nonce: an explanation and no call.
    answers.length = 0;
    await page.goto(`${harmont.url}/cli-login?nonce=short&port=4000`);
    await page.getByRole("heading", { name: "This login link is damaged" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    await saveScreenshot(page, "cli-link-damaged");
    await page.goto(`${harmont.url}/cli-login?nonce=${"a".repeat(21)}!`);
    await page.getByRole("heading", { name: "This login link is damaged" }).waitFor();
    await page.goto(`${harmont.url}/cli-login`);
    await page.getByRole("heading", { name: "No login to approve" }).waitFor();
    expect(answers).toEqual([]);
    expectCleanPages();
  });

  it("paste code: consent first, then a grouped code with a countdown that the CLI redeems once", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: harmont.url });

    // Signed out: sign in first, then back to the paste page.
    await page.goto(`${harmont.url}/cli-login?paste=true`);
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    await signInWithPassword(page, email);
    await page.getByRole("heading", { name: "Sign in a terminal with a code" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/cli-login?paste=true`);

    // The consent comes first: no code is minted on sight.
    const minted: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/api/v0/auth/cli/code")) minted.push(request.method());
    });
    expect(await page.locator(".consent").textContent()).toContain(email);
    expect(await page.getByRole("note").textContent()).toContain("Only continue if you just started a login in your own terminal");
    await saveScreenshot(page, "cli-paste-consent");
    expect(minted).toEqual([]);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();

    const codeText = page.getByTestId("paste-code");
    await codeText.waitFor();
    const grouped = (await codeText.textContent()) ?? "";
    expect(grouped).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await eventually(() => page.locator(".paste__countdown").textContent()).toMatch(/^Expires in [45]:\d\d$/);
    await saveScreenshot(page, "cli-paste-code");

    // Copy puts the grouped code on the clipboard.
    await page.getByRole("button", { name: "Copy code" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(grouped);

    // A new code replaces the shown one; the CLI redeems what it shows, dashes and all, once.
    await page.getByRole("button", { name: "Get a new code" }).click();
    await eventually(() => codeText.textContent()).not.toBe(grouped);
    const fresh = (await codeText.textContent()) ?? "";
    const redeemed = await harmont.api("/api/v0/auth/cli/redeem", { json: { code: fresh, name: "harmont CLI on build-box" } });
    expect(redeemed.status).toBe(200);
    expect((await harmont.api("/api/v0/auth/session", { token: redeemed.body.token })).body.session).toMatchObject({
      kind: "cli",
      name: "harmont CLI on build-box",
    });
    expect((await harmont.api("/api/v0/auth/cli/redeem", { json: { code: fresh } })).body.error.code).toBe("cli_code_invalid");

    // The page sees the code used: no countdown left, and the session it made named.
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.getByTestId("paste-session-name").textContent()).toBe("“harmont CLI on build-box”");
    expect(await page.locator(".paste__countdown").count()).toBe(0);
    await saveScreenshot(page, "cli-paste-used");
    expect(minted).toEqual(["POST", "POST"]);
    expect(harmont.logs.text).not.toContain(fresh.replaceAll("-", ""));
    expectCleanPages();
  });

  it("account page: lists web and CLI sessions, revokes one, and signs out everywhere", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await signUp(page, harmont, { name: "Ada Lovelace", email });

    // Two CLI sessions made the way the CLI makes them (paste codes minted by this browser).
    const mint = () => page.evaluate(async () => (await (await fetch("/api/v0/auth/cli/code", { method: "POST" })).json()) as { code: string });
    const laptop = await harmont.api("/api/v0/auth/cli/redeem", { json: { code: (await mint()).code, name: "harmont CLI on ada-laptop" } });
    const server = await harmont.api("/api/v0/auth/cli/redeem", { json: { code: (await mint()).code, name: "harmont CLI on build-server" } });
    expect([laptop.status, server.status]).toEqual([200, 200]);

    await page.reload();
    const list = page.getByRole("list", { name: "Sessions" });
    await eventually(() => list.getByRole("listitem").count()).toBe(3);
    const text = (await list.textContent()) ?? "";
    expect(text).toContain("harmont CLI on ada-laptop");
    expect(text).toContain("harmont CLI on build-server");
    expect(text).toContain("This browser");
    // The current session cannot be revoked from the list (Sign out does that).
    expect(await list.getByRole("button").count()).toBe(2);
    await saveScreenshot(page, "account-sessions");

    await page.getByRole("button", { name: "Revoke harmont CLI on build-server" }).click();
    await eventually(() => list.getByRole("listitem").count()).toBe(2);
    expect((await harmont.api("/api/v0/auth/session", { token: server.body.token })).status).toBe(401);
    expect((await harmont.api("/api/v0/auth/session", { token: laptop.body.token })).status).toBe(200);

    // Sign out everywhere asks first, then ends every session, this browser's included.
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("button", { name: "Yes, sign out everywhere" }).waitFor();
    await saveScreenshot(page, "account-sign-out-everywhere");
    await page.getByRole("button", { name: "Yes, sign out everywhere" }).click();
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    expect((await harmont.api("/api/v0/auth/session", { token: laptop.body.token })).status).toBe(401);
    expect(await page.evaluate(async () => (await fetch("/api/v0/auth/session")).status)).toBe(401);
    expectCleanPages();
  });

  it("account page: makes an API token, shows it once with a copy button, lists it, and revokes it", async () => {
    const { page } = browser;
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: harmont.url });
    const email = "ada@example.com";
    await signUp(page, harmont, { name: "Ada Lovelace", email });
    await page.goto(`${harmont.url}/account`);
    const form = page.getByRole("form", { name: "Make an API token" });
    await form.getByLabel("Token name").fill("GitHub Actions deploy");
    await form.getByLabel("Expires").selectOption("30");
    await form.getByRole("button", { name: "Make token" }).click();

    const shown = page.getByTestId("new-api-token");
    await shown.waitFor();
    const token = ((await shown.textContent()) ?? "").trim();
    expect(token).toMatch(/^hma_[A-Za-z0-9_-]{43}$/);
    // The page never keeps it anywhere a later script could read.
    expect(await pageReadableState(page)).not.toContain(token);
    await page.getByRole("button", { name: "Copy token" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    const list = page.getByRole("list", { name: "API tokens" });
    await eventually(() => list.getByRole("listitem").count()).toBe(1);
    expect(await list.textContent()).toContain("GitHub Actions deploy");
    await saveScreenshot(page, "account-api-token-created");

    // It works as a bearer token, as in CI, and the account was told by mail.
    const check = await harmont.api("/api/v0/auth/session", { token });
    expect(check.status).toBe(200);
    expect((check.body as { session: { kind: string } }).session.kind).toBe("api");
    await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain(
      "A new API token was created for your Harmont account",
    );

    // Done hides it for good: a reload shows the list, never the token.
    await page.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "detached" });
    await page.reload();
    await eventually(() => list.getByRole("listitem").count()).toBe(1);
    expect(await page.content()).not.toContain(token);
    expect(await list.textContent()).toMatch(/no use recorded yet|last used/);

    await page.getByRole("button", { name: "Revoke GitHub Actions deploy" }).click();
    await page.getByText("No API tokens yet.").waitFor();
    expect((await harmont.api("/api/v0/auth/session", { token })).status).toBe(401);
    expectCleanPages();
  });

  it("account settings: the name, a new password, the CLI-session notice, and deleting the account, kept by a sign-in", async () => {
    const { page } = browser;
    const email = "grace@example.com";
    await signUp(page, harmont, { email });
    const apiSignIn = async () => (await harmont.api("/api/v0/auth/login", { json: { email, password } })).body.token as string;

    // The display name shows in the header's avatar at once.
    const profile = page.getByRole("form", { name: "Display name" });
    await profile.getByLabel("Display name").fill("Grace Hopper");
    await profile.getByRole("button", { name: "Save name" }).click();
    await page.getByText("Your name is now “Grace Hopper”.").waitFor();
    expect((await harmont.api("/api/v0/user", { token: await apiSignIn() })).body.name).toBe("Grace Hopper");

    // The notice of new CLI sessions, off and on again.
    const notice = page.getByLabel("Email me when a new CLI session is created for my account");
    await eventually(() => notice.isEnabled()).toBe(true);
    expect(await notice.isChecked()).toBe(true);
    await notice.uncheck();
    await eventually(() => notice.isChecked()).toBe(false);
    await eventually(async () => (await harmont.api("/api/v0/user/settings", { token: await apiSignIn() })).body.notify_new_cli_sessions).toBe(false);

    // A wrong current password is refused; the right one changes it, and the old one stops working.
    const form = page.getByRole("form", { name: "Change password" });
    await form.getByLabel("Current password").fill("not my password");
    await form.getByLabel("New password").fill("a brand new passphrase");
    await form.getByRole("button", { name: "Change password" }).click();
    await page.getByText("The current password is incorrect.").waitFor();
    await form.getByLabel("Current password").fill(password);
    await form.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();
    expect((await harmont.api("/api/v0/auth/login", { json: { email, password } })).status).toBe(401);
    await saveScreenshot(page, "account-settings");

    // Deleting asks for the password, signs everything out, and says when the account goes.
    await page.getByRole("button", { name: "Delete account…" }).click();
    const confirm = page.getByRole("form", { name: "Confirm deleting your account" });
    await confirm.getByLabel("Your password").fill("a brand new passphrase");
    await saveScreenshot(page, "account-delete");
    await confirm.getByRole("button", { name: "Delete my account" }).click();
    await page.getByRole("heading", { name: "Your account will be deleted" }).waitFor();
    expect(await page.evaluate(async () => (await fetch("/api/v0/auth/session")).status)).toBe(401);
    await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain("Your Harmont account will be deleted");
    await saveScreenshot(page, "account-deleted");

    // Signing in again keeps it.
    await page.getByRole("link", { name: "Sign in" }).first().click();
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a brand new passphrase");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain("Your Harmont account will not be deleted");
    expectCleanPages();
  });

  it("organizations: create one, switch in the header, invite by mail, tell a wrong account, accept after signing in by code, and change a role", async () => {
    const { page } = browser;
    const owner = "ada@example.com";
    const mailsBefore = harmont.smtp.messages.length;
    await signUp(page, harmont, { name: "Ada Lovelace", email: owner });
    await page.getByLabel("Confirmation code").fill(await harmont.nextCode(owner, mailsBefore));
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Email verified").waitFor();

    // Create an org from the header's switcher.
    const switcher = page.getByLabel("Organization");
    await switcher.selectOption({ label: "Create organization…" });
    await page.getByRole("heading", { name: "Create an organization" }).waitFor();
    await page.getByLabel("Name").fill("Acme");
    await page.getByLabel("Slug (optional)").fill("acme");
    await saveScreenshot(page, "org-create");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.getByRole("heading", { name: "Acme" }).waitFor();
    await eventually(async () => (await switcher.locator("option:checked").textContent()) ?? "").toBe("Acme");

    // Switching in the header changes this browser's session only.
    await switcher.selectOption({ label: "Personal (no organization)" });
    await eventually(async () => (await page.evaluate(async () => (await (await fetch("/api/v0/auth/session")).json()) as { session: { org_id: string | null } })).session.org_id).toBeNull();
    await switcher.selectOption({ label: "Acme" });
    await eventually(async () => (await page.evaluate(async () => (await (await fetch("/api/v0/auth/session")).json()) as { session: { org_role: string | null } })).session.org_role).toBe("owner");

    // Invite Grace; the link is in the mail only.
    await page.getByRole("link", { name: "Manage" }).click();
    const invite = page.getByRole("form", { name: "Invite someone" });
    await invite.getByLabel("Email address").fill("grace@example.com");
    const inviteMails = harmont.smtp.messages.length;
    await invite.getByRole("button", { name: "Send invitation" }).click();
    await page.getByText("Invitation sent to grace@example.com.").waitFor();
    await eventually(() => page.getByRole("list", { name: "Pending invitations" }).getByRole("listitem").count()).toBe(1);
    await saveScreenshot(page, "org-members");
    const mail = await harmont.smtp.waitForMail("grace@example.com", inviteMails);
    const link = /(http:\/\/\S+\/invitations#token=hin_[A-Za-z0-9_-]{43})/.exec(mail.raw.replace(/=\r?\n/g, ""))?.[1];
    expect(link).toBeDefined();

    // Ada opening Grace's link is told whose it is, and uses nothing up.
    await page.goto(link!);
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await eventually(() => page.getByRole("alert").textContent()).toContain("This invitation is for g***@example.com");
    expect(await page.getByRole("alert").textContent()).toContain("You are signed in as ada@example.com.");
    await page.getByRole("button", { name: "Sign out, then sign in with that address" }).waitFor();

    // Grace, in her own browser: the link, then sign in by code (which makes her account), then accept.
    const other = await launchBrowser();
    try {
      const grace = other.page;
      await grace.goto(link!);
      await grace.getByRole("heading", { name: "You were invited to join an organization" }).waitFor();
      // The token left the address bar at once.
      expect(new URL(grace.url()).hash).toBe("");
      await saveScreenshot(grace, "org-invitation");
      await grace.getByRole("link", { name: "Sign in" }).last().click();
      await grace.getByRole("button", { name: "Email code" }).click();
      await grace.getByLabel("Email", { exact: true }).fill("grace@example.com");
      const codeMails = harmont.smtp.messages.length;
      await grace.getByRole("button", { name: "Email me a code" }).click();
      await grace.getByLabel("Code from the email").fill(await harmont.nextCode("grace@example.com", codeMails));
      await grace.getByRole("button", { name: "Sign in", exact: true }).click();
      await grace.getByRole("button", { name: "Accept invitation" }).click();
      await grace.getByRole("heading", { name: "You joined Acme" }).waitFor();
      await eventually(async () => (await grace.getByLabel("Organization").locator("option:checked").textContent()) ?? "").toBe("Acme");
      expect(other.cspViolations).toEqual([]);
    } finally {
      await other.close();
    }

    // Back at Ada's: Grace is a member; make her an admin.
    await page.goto(`${harmont.url}/account`);
    await page.getByRole("link", { name: "Manage" }).click();
    const members = page.getByRole("list", { name: "Members" });
    await eventually(() => members.getByRole("listitem").count()).toBe(2);
    await page.getByLabel("Role of grace@example.com").selectOption("admin");
    await page.getByText("grace@example.com is now admin.").waitFor();
    const listed = await page.evaluate(async () => {
      const orgs = (await (await fetch("/api/v0/orgs")).json()) as { orgs: Array<{ id: string }> };
      return (await (await fetch(`/api/v0/orgs/${orgs.orgs[0]!.id}/members`)).json()) as { members: Array<{ user: { email: string }; role: string }> };
    });
    expect(listed.members.find((member) => member.user.email === "grace@example.com")?.role).toBe("admin");
    expectCleanPages();
  });

  it("password reset: forgot, the mailed link (out of the address bar at once), a new password, every session out, the link used up", async () => {
    const { page } = browser;
    const email = "grace@example.com";
    await harmont.createAccount(email, password, "Grace Hopper");
    const old = (await harmont.api("/api/v0/auth/login", { json: { email, password } })).body.token as string;

    await page.goto(`${harmont.url}/sign-in`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    await page.getByLabel("Email", { exact: true }).fill(email);
    const since = harmont.smtp.messages.length;
    await page.getByRole("button", { name: "Mail me a link" }).click();
    await page.getByText(`If an account exists for ${email}, we sent it a link.`).waitFor();
    const mail = await harmont.smtp.waitForMail(email, since);
    const link = /(http:\/\/\S+\/reset-password#token=hrt_[A-Za-z0-9_-]{43})/.exec(mail.raw.replace(/=\r?\n/g, ""))?.[1];
    expect(link).toBeDefined();

    await page.goto(link!);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    expect(new URL(page.url()).hash).toBe("");
    expect(await pageReadableState(page)).not.toContain("hrt_");
    await page.getByText("For g***@example.com.").waitFor();
    await saveScreenshot(page, "reset-password");
    await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.getByRole("heading", { name: "Password changed" }).waitFor();
    expect((await harmont.api("/api/v0/auth/session", { token: old })).status).toBe(401);

    // The link is used up (opened afresh, as from the mail again); the new password signs in.
    await page.goto("about:blank");
    await page.goto(link!);
    await page.getByRole("heading", { name: "This link no longer works" }).waitFor();
    await page.goto(`${harmont.url}/sign-in`);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a brand new passphrase");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expectCleanPages();
  });

  it("two-step verification: turn it on with a QR code drawn in the page, backup codes shown once, then sign in with a code, with a backup code, and reset the password with a code", async () => {
    const { page } = browser;
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: harmont.url });
    const email = "ada@example.com";
    await signUpVerified(page, harmont, { name: "Ada Lovelace", email });
    const panel = page.locator(".second-factor");
    await eventually(() => panel.getByTestId("second-factor-state").textContent()).toBe("Off");

    // The password first: a wrong one is refused before any secret is made.
    await panel.getByRole("button", { name: "Turn on two-step verification" }).click();
    const start = page.getByRole("form", { name: "Turn on two-step verification" });
    await start.getByLabel("Your password").fill("not my password");
    await start.getByRole("button", { name: "Continue" }).click();
    await eventually(() => start.getByRole("alert").textContent()).toBe("The password is incorrect.");
    await start.getByLabel("Your password").fill(password);
    const started = page.waitForResponse((response) => response.url().endsWith("/api/v0/auth/2fa/totp"));
    await start.getByRole("button", { name: "Continue" }).click();
    const enrollment = (await (await started).json()) as { secret: string; otpauth_uri: string };

    // The key to type, in groups of four, is the server's; the QR code is the otpauth URI,
    // drawn in the page (a data: image, nothing fetched: expectCleanPages checks the origins).
    await page.getByTestId("totp-secret").waitFor();
    expect(await page.getByTestId("totp-secret").textContent()).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    const secret = await readSecret(page);
    expect(secret).toBe(enrollment.secret);
    const qr = page.getByRole("img", { name: "QR code of the new key, to scan with your authenticator app" });
    await eventually(() => qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(true);
    const drawn = await QRCode.toString(enrollment.otpauth_uri, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
    expect(await qr.getAttribute("src")).toBe(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(drawn)}`);
    expect(enrollment.otpauth_uri).toContain(`secret=${secret}`);
    await saveScreenshot(page, "account-two-step-scan");

    // A wrong code is refused; the app's code turns it on and shows ten backup codes, once.
    const confirm = page.getByRole("form", { name: "Confirm your authenticator app" });
    const codeField = confirm.getByLabel("6-digit code from your authenticator app");
    expect(await codeField.getAttribute("autocomplete")).toBe("one-time-code");
    expect(await codeField.getAttribute("inputmode")).toBe("numeric");
    await codeField.fill(wrongCode(secret));
    await confirm.getByRole("button", { name: "Turn on", exact: true }).click();
    await eventually(() => confirm.getByRole("alert").textContent()).toContain("The code is not valid.");
    await codeField.fill(await previousCode(secret));
    await confirm.getByRole("button", { name: "Turn on", exact: true }).click();
    await page.getByTestId("backup-codes").waitFor();
    await page.getByText("Two-step verification is on.").waitFor();
    const backupCodes = await readBackupCodes(page);
    expect(backupCodes).toHaveLength(10);
    for (const code of backupCodes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.getByRole("button", { name: "Copy codes" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(backupCodes.join("\n"));
    await saveScreenshot(page, "account-two-step-backup-codes");
    await expectNothingLeaked(browser, [secret, ...backupCodes]);
    // This session passed two-step verification by turning it on.
    expect(await currentSession(page)).toEqual({ status: 200, verified: true });

    // "I have saved them" hides them for good: the state shows instead, and a reload never them.
    await page.getByRole("button", { name: "I have saved them" }).click();
    await page.getByTestId("backup-codes").waitFor({ state: "detached" });
    await eventually(() => panel.getByTestId("second-factor-state").textContent()).toBe("On");
    expect(await panel.getByTestId("backup-codes-left").textContent()).toBe("10 backup codes left");
    expect(await panel.textContent()).toContain("On since");
    await page.reload();
    await eventually(() => panel.getByTestId("backup-codes-left").textContent()).toBe("10 backup codes left");
    const content = await page.content();
    for (const code of [secret, ...backupCodes]) expect(content).not.toContain(code);
    await saveScreenshot(page, "account-two-step-on");

    // Signing in with the password now stops at the second step: 202, and no cookie yet.
    await signOut(page);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    const firstStep = page.waitForResponse((response) => response.url().endsWith("/api/v0/auth/login"));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    expect((await firstStep).status()).toBe(202);
    await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(await browser.context.cookies(harmont.url)).toEqual([]);
    // No other signed-in device passed two-step verification: nobody to approve from.
    expect(await page.getByRole("button", { name: "Approve from another device" }).count()).toBe(0);
    const step = page.getByRole("form", { name: "Finish signing in with a two-step code" });
    const stepField = step.getByLabel("6-digit code from your authenticator app");
    expect(await stepField.getAttribute("autocomplete")).toBe("one-time-code");
    expect(await stepField.evaluate((element) => element === document.activeElement)).toBe(true);
    const used = currentCode(secret);
    await stepField.fill(used);
    await saveScreenshot(page, "sign-in-two-step");
    await expectNothingLeaked(browser, [secret]);
    await step.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(await currentSession(page)).toEqual({ status: 200, verified: true });

    // By email code this time: the code just used is refused (each works once), a backup code signs in.
    await signOut(page);
    await page.getByRole("button", { name: "Email code" }).click();
    await page.getByLabel("Email", { exact: true }).fill(email);
    const since = harmont.smtp.messages.length;
    await page.getByRole("button", { name: "Email me a code" }).click();
    await page.getByLabel("Code from the email").fill(await harmont.nextCode(email, since));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await stepField.fill(used);
    await step.getByRole("button", { name: "Sign in", exact: true }).click();
    await eventually(() => step.getByRole("alert").textContent()).toContain("The code is not valid.");
    await page.getByRole("button", { name: "Use a backup code instead" }).click();
    await step.getByLabel("Backup code").fill(backupCodes[0]!.toLowerCase());
    await saveScreenshot(page, "sign-in-two-step-backup-code");
    await step.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await eventually(() => panel.getByTestId("backup-codes-left").textContent()).toBe("9 backup codes left");
    await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain(
      "A backup code was used to sign in to your Harmont account",
    );

    // A password reset asks for a code too: the mailbox alone does not take the account over.
    await signOut(page);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email", { exact: true }).fill(email);
    const resetMails = harmont.smtp.messages.length;
    await page.getByRole("button", { name: "Mail me a link" }).click();
    const mail = await harmont.smtp.waitForMail(email, resetMails);
    const link = /(http:\/\/\S+\/reset-password#token=hrt_[A-Za-z0-9_-]{43})/.exec(mail.raw.replace(/=\r?\n/g, ""))?.[1];
    await page.goto(link!);
    const reset = page.getByRole("form", { name: "Choose a new password" });
    await reset.getByLabel("6-digit code from your authenticator app").waitFor();
    await page.getByRole("button", { name: "Use a backup code instead" }).click();
    await reset.getByLabel("Backup code").fill(backupCodes[0]!);
    await reset.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
    await reset.getByRole("button", { name: "Set the new password" }).click();
    await eventually(() => reset.getByRole("alert").textContent()).toContain("The code is not valid.");
    await reset.getByLabel("Backup code").fill(backupCodes[1]!);
    await saveScreenshot(page, "reset-password-two-step");
    await reset.getByRole("button", { name: "Set the new password" }).click();
    await page.getByRole("heading", { name: "Password changed" }).waitFor();
    expect((await harmont.api("/api/v0/auth/login", { json: { email, password: "a brand new passphrase" } })).status).toBe(202);
    await expectNothingLeaked(browser, [secret, ...backupCodes]);
    expectCleanPages();
  });

  it("two-step verification: another signed-in browser approves a sign-in with the number it shows, a wrong number refuses it, and \u201cThis wasn't me\u201d rejects it", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await signUpVerified(page, harmont, { name: "Ada Lovelace", email });
    await turnOnTwoStep(page);
    const prompt = page.getByRole("region", { name: "A sign-in waiting for your approval" });
    expect(await prompt.count()).toBe(0);

    const other = await launchBrowser();
    try {
      const laptop = other.page;
      /** The laptop signs in with the password, asks for an approval, and reads the number it shows. */
      const askForApproval = async () => {
        await laptop.getByLabel("Email", { exact: true }).fill(email);
        await laptop.getByLabel("Password", { exact: true }).fill(password);
        await laptop.getByRole("button", { name: "Sign in", exact: true }).click();
        await laptop.getByRole("button", { name: "Approve from another device" }).click();
        await laptop.getByText("Waiting for your approval…").waitFor();
        const number = ((await laptop.getByTestId("approval-number").textContent()) ?? "").trim();
        expect(number).toMatch(/^\d{2}$/);
        return number;
      };
      await laptop.goto(`${harmont.url}/sign-in`);
      const number = await askForApproval();
      await saveScreenshot(laptop, "sign-in-approval-number");

      // Coming back to the first browser's tab (its focus) asks at once: the prompt, with when, the device, the address, the first factor.
      await page.evaluate(() => window.dispatchEvent(new Event("focus")));
      await prompt.waitFor();
      expect(await prompt.locator("dt").allTextContents()).toEqual(["When", "Device", "From", "Signed in with"]);
      expect(await prompt.locator("dd").allTextContents()).toEqual(["just now", "Chrome on Linux", "127.0.0.1", "Password"]);
      // The number is not shown here as a number of its own (its digits may well be in "127.0.0.1").
      expect(await prompt.textContent()).not.toMatch(new RegExp(`(?<!\\d)${number}(?!\\d)`));
      // Approve and Reject have equal weight: the same size.
      const [approveBox, rejectBox] = [await prompt.getByRole("button", { name: "Approve" }).boundingBox(), await prompt.getByRole("button", { name: "Reject" }).boundingBox()];
      expect(approveBox && [approveBox.width, approveBox.height]).toEqual(rejectBox && [rejectBox.width, rejectBox.height]);
      await prompt.getByLabel("Type the number shown on the device signing in").fill(number);
      await saveScreenshot(page, "login-approval-prompt");
      await prompt.getByRole("button", { name: "Approve" }).click();
      await page.getByText("Approved: that device is signed in.").waitFor();
      expect(await prompt.count()).toBe(0);

      // The laptop's poll sees it: signed in, as having passed two-step verification.
      await laptop.getByRole("heading", { name: "Your account" }).waitFor();
      expect(await currentSession(laptop)).toEqual({ status: 200, verified: true });
      await expectNothingLeaked(other);

      // A wrong number refuses the sign-in at once. This prompt comes from the 10-second poll alone.
      await signOut(laptop);
      const second = await askForApproval();
      await prompt.waitFor({ timeout: 15_000 });
      await prompt.getByLabel("Type the number shown on the device signing in").fill(second === "10" ? "11" : "10");
      await prompt.getByRole("button", { name: "Approve" }).click();
      await page.getByText("The number did not match, so the sign-in was refused.").waitFor();
      await eventually(() => laptop.getByRole("alert").textContent()).toContain("The sign-in was refused on your other device.");
      await laptop.getByLabel("Password", { exact: true }).waitFor();
      expect((await currentSession(laptop)).status).toBe(401);

      // "This wasn't me" goes with Reject: it refuses, and no approval can be asked for an hour.
      await askForApproval();
      await page.evaluate(() => window.dispatchEvent(new Event("focus")));
      await prompt.waitFor();
      await prompt.getByLabel("This wasn't me", { exact: false }).check();
      expect(await prompt.getByRole("button", { name: "Approve" }).isDisabled()).toBe(true);
      await prompt.getByRole("button", { name: "Reject" }).click();
      await page.getByText("Rejected and reported").waitFor();
      await eventually(() => laptop.getByRole("alert").textContent()).toContain("The sign-in was refused on your other device.");
      expect((await currentSession(laptop)).status).toBe(401);
      await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain(
        "You refused a sign-in to your Harmont account",
      );
      await laptop.getByLabel("Email", { exact: true }).fill(email);
      await laptop.getByLabel("Password", { exact: true }).fill(password);
      await laptop.getByRole("button", { name: "Sign in", exact: true }).click();
      await laptop.getByRole("button", { name: "Approve from another device" }).click();
      await eventually(() => laptop.getByRole("alert").textContent()).toBe("This sign-in cannot be approved from another device now.");
      await laptop.getByLabel("6-digit code from your authenticator app").waitFor();
      await expectNothingLeaked(other);
      expect(other.cspViolations).toEqual([]);
    } finally {
      await other.close();
    }
    expectCleanPages();
  });

  it("two-step verification: new backup codes, a sign-in step ended by five wrong codes, and turning it off", async () => {
    const { page } = browser;
    const email = "grace@example.com";
    await signUpVerified(page, harmont, { name: "Grace Hopper", email });
    const { secret, backupCodes: first } = await turnOnTwoStep(page);
    const panel = page.locator(".second-factor");

    // New backup codes, with a code from the app and the password: the old ones stop working.
    await panel.getByRole("button", { name: "New backup codes" }).click();
    const regenerate = page.getByRole("form", { name: "Make new backup codes" });
    await regenerate.getByLabel("6-digit code from your authenticator app").fill(currentCode(secret));
    await regenerate.getByLabel("Your password").fill(password);
    await regenerate.getByRole("button", { name: "Make new backup codes" }).click();
    await page.getByText("New backup codes made: the old ones no longer work.").waitFor();
    const fresh = await readBackupCodes(page);
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => first.includes(code))).toEqual([]);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await eventually(() => panel.getByTestId("backup-codes-left").textContent()).toBe("10 backup codes left");
    const challenge = (await harmont.api("/api/v0/auth/login", { json: { email, password } })).body.challenge_token as string;
    const old = await harmont.api("/api/v0/auth/login/second-factor", { json: { challenge_token: challenge, method: "backup_code", code: first[0] } });
    expect(old.body.error.code).toBe("second_factor_invalid");

    // Five wrong codes end the sign-in step: the next try says so and goes back to the start.
    await signOut(page);
    await signInWithPassword(page, email);
    const step = page.getByRole("form", { name: "Finish signing in with a two-step code" });
    for (let tries = 0; tries < 5; tries++) {
      await step.getByLabel("6-digit code from your authenticator app").fill(wrongCode(secret));
      await step.getByRole("button", { name: "Sign in", exact: true }).click();
      await eventually(() => step.getByRole("alert").textContent()).toContain("The code is not valid.");
      await eventually(() => step.getByLabel("6-digit code from your authenticator app").inputValue()).toBe("");
    }
    await step.getByLabel("6-digit code from your authenticator app").fill(wrongCode(secret));
    await step.getByRole("button", { name: "Sign in", exact: true }).click();
    await eventually(() => page.getByRole("alert").textContent()).toBe("This sign-in step expired; sign in again.");
    await page.getByLabel("Password", { exact: true }).waitFor();
    expect(await page.getByLabel("Password", { exact: true }).inputValue()).toBe("");
    await eventually(() => harmont.smtp.messages.filter((mail) => mail.to.includes(email)).map((mail) => mail.subject)).toContain(
      "Someone is trying to sign in to your Harmont account",
    );

    // From the start again, with a backup code.
    await signInWithPassword(page, email);
    await page.getByRole("button", { name: "Use a backup code instead" }).click();
    await step.getByLabel("Backup code").fill(fresh[0]!);
    await step.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();

    // Turning it off asks for a code (a backup code here) and the password; a wrong password changes nothing.
    await panel.getByRole("button", { name: "Turn off" }).click();
    const disable = page.getByRole("form", { name: "Turn off two-step verification" });
    await disable.getByRole("button", { name: "Use a backup code instead" }).click();
    await disable.getByLabel("Backup code").fill(fresh[1]!);
    await disable.getByLabel("Your password").fill("not my password");
    await disable.getByRole("button", { name: "Turn off two-step verification" }).click();
    await eventually(() => disable.getByRole("alert").textContent()).toBe("The password is incorrect.");
    await saveScreenshot(page, "account-two-step-off");
    await disable.getByLabel("Your password").fill(password);
    await disable.getByRole("button", { name: "Turn off two-step verification" }).click();
    await page.getByText("Two-step verification is off.").waitFor();
    await eventually(() => panel.getByTestId("second-factor-state").textContent()).toBe("Off");
    await panel.getByRole("button", { name: "Turn on two-step verification" }).waitFor();

    // Signing in is one step again.
    await signOut(page);
    await signInWithPassword(page, email);
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(await currentSession(page)).toEqual({ status: 200, verified: false });
    expect((await harmont.api("/api/v0/auth/login", { json: { email, password } })).status).toBe(200);
    await expectNothingLeaked(browser, [secret, ...fresh]);
    expectCleanPages();
  });

  it("lays out the authorize page for a phone", async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    await signUp(page, harmont, { email: "ada@example.com" });
    await page.goto(`${harmont.url}/cli-login?nonce=${generateNonce()}&name=${encodeURIComponent("harmont CLI on ada-laptop")}`);
    await page.getByRole("heading", { name: "Authorize the Harmont CLI" }).waitFor();
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const [authorize, deny] = [
      await page.getByRole("button", { name: "Authorize", exact: true }).boundingBox(),
      await page.getByRole("button", { name: "Deny", exact: true }).boundingBox(),
    ];
    expect(authorize?.width).toBe(deny?.width);
    await saveScreenshot(page, "cli-authorize-phone");
    expectCleanPages();
  });

  it("device login: signed out, the link's code leaves the address bar before the first render, survives sign-in, and Approve gives the device its token at the next poll", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    const name = "harmont CLI on ada-laptop";
    const device = await startDeviceLogin(harmont, { name, userAgent: "harmont-cli/0.2.0 (linux; x64) node/20.20.2" });
    expect(device.user_code).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    expect(device.verification_uri).toBe(`${harmont.url}/device`);
    expect(device.verification_uri_complete).toBe(`${harmont.url}/device?user_code=${device.user_code}`);
    const calls = watchApiCalls(page, "/api/v0/auth/device/");
    await recordFirstRenderAddress(page);

    const response = await page.goto(device.verification_uri_complete);
    expect(response?.headers()["content-security-policy"]).toBe(webAppSecurityPolicy);
    expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
    // The code was out of the address bar before the app first rendered, and stays out.
    expect(await page.evaluate(() => (window as unknown as { __firstRenderAddress: string }).__firstRenderAddress)).toBe(`${harmont.url}/device`);

    // Signed out: to the sign-in page, which says why and comes back to /device (the code nowhere in the URL).
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/sign-in?return=%2Fdevice`);
    await page.getByText("Sign in to approve the login of your terminal or device.", { exact: false }).waitFor();
    await signInWithPassword(page, email);
    await page.getByRole("heading", { name: "Enter the code from your device" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/device`);

    // The code is filled in from the link, but waits for Continue.
    const field = page.getByLabel("Code", { exact: true });
    expect(await field.inputValue()).toBe(device.user_code);
    await page.getByText("The code came with the link you opened.", { exact: false }).waitFor();
    await saveScreenshot(page, "device-code");
    // Opening the page asked nothing of the server: the device still waits.
    expect(calls).toEqual([]);
    expect(await pollDeviceToken(harmont, device.device_code)).toEqual({ status: 400, body: expect.objectContaining({ error: "authorization_pending" }) });

    // Continue looks the login up: the consent.
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Approve a device login" }).waitFor();
    expect(calls).toEqual(["lookup"]);
    const consent = page.locator(".consent");
    expect(await consent.locator(".identity").textContent()).toContain(email);
    await consent.getByRole("button", { name: "Not you? Sign out" }).waitFor();
    expect(await page.getByTestId("device-client-name").textContent()).toBe("Harmont CLI");
    expect(await consent.locator(".device-client").textContent()).toBe("Harmont CLI wants to sign in to your account");
    expect(await page.getByTestId("device-session-name").textContent()).toBe(`“${name}”`);
    expect(await consent.textContent()).toContain(`It calls itself “${name}” (its own words, not checked)`);
    expect(await page.getByTestId("device-where").textContent()).toBe("harmont-cli 0.2.0 on Linux · from 127.0.0.1");
    expect(await consent.textContent()).toMatch(/Requested (just now|\d+ seconds ago)/);
    await eventually(() => page.getByTestId("device-countdown").textContent()).toMatch(/^Code expires in 4:[0-5]\d$/);
    expect((await consent.locator(".phrase").innerText()).replace(/\s+/g, " ")).toBe(`Check that your terminal shows ${device.user_code}`);
    expect(await consent.textContent()).toContain(
      "A new CLI session will be created. It can act as you until it expires (30 days unused, 90 days at most) or you revoke it on your account page.",
    );
    expect(await page.getByRole("note").textContent()).toContain("Only continue if you just started a login in your own terminal (harmont login).");
    expect(await consent.textContent()).toContain("If someone sent you this code or link, deny it.");
    await saveScreenshot(page, "device-consent");

    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByRole("heading", { name: "Go back to your terminal" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/device`);
    await saveScreenshot(page, "device-approved");
    // Answered: the tab forgets the code.
    expect(await pageReadableState(page)).not.toContain(device.user_code);

    // The device's next poll gets its token: a CLI session of the account, made for this client.
    const token = await pollDeviceToken(harmont, device.device_code);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: "Bearer", access_token: expect.stringMatching(/^hmt_/) });
    const session = await harmont.api("/api/v0/auth/session", { token: token.body.access_token });
    expect(session.body).toMatchObject({ user: { email }, session: { kind: "cli", name, client_id: "harmont-cli" } });

    // The account page tells it apart: a device login, and for which client.
    await page.getByRole("link", { name: "your account page" }).click();
    const list = page.getByRole("list", { name: "Sessions" });
    // This browser, the sign-up's session (made through the API), and the device's.
    await eventually(() => list.getByRole("listitem").count()).toBe(3);
    const listed = list.getByRole("listitem").filter({ hasText: name });
    expect(await listed.locator(".session__where").textContent()).toBe("via device login (harmont-cli) · from 127.0.0.1");
    expect(await list.getByRole("listitem").filter({ hasText: "via device login" }).count()).toBe(1);
    await saveScreenshot(page, "account-device-session");

    // The code was in no URL but the link itself, and in no log line.
    const plain = device.user_code.replace("-", "");
    expect(browser.requests.filter((url) => url.includes(device.user_code) || url.includes(plain))).toEqual([device.verification_uri_complete]);
    expect(await page.evaluate(() => window.location.href)).not.toContain(device.user_code);
    expect(harmont.logs.text).not.toContain(device.user_code);
    expect(harmont.logs.text).not.toContain(plain);
    expect(harmont.logs.text).not.toContain(device.device_code);
    expect(harmont.logs.text).not.toContain(token.body.access_token);
    expectCleanPages();
  });

  it("device login: Deny tells the device access_denied, and the answered code is forgotten and no longer found", async () => {
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email: "ada@example.com" });
    const device = await startDeviceLogin(harmont, { name: "harmont CLI on build-box" });

    // Signed in, the link goes straight to the code, filled in.
    await page.goto(device.verification_uri_complete);
    await page.getByRole("heading", { name: "Enter the code from your device" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/device`);
    expect(await page.getByLabel("Code", { exact: true }).inputValue()).toBe(device.user_code);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Approve a device login" }).waitFor();
    // No user agent naming a product: only the address.
    expect(await page.getByTestId("device-where").textContent()).toBe("from 127.0.0.1");

    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await page.getByRole("heading", { name: "Login denied" }).waitFor();
    await page.getByText("Nothing was shared.", { exact: false }).waitFor();
    await saveScreenshot(page, "device-denied");
    expect(await pollDeviceToken(harmont, device.device_code)).toEqual({ status: 400, body: expect.objectContaining({ error: "access_denied" }) });
    expect(await pageReadableState(page)).not.toContain(device.user_code);

    // Forgotten by the tab: a reload has an empty field; typed again, the answered code is not found.
    await page.reload();
    await page.getByRole("heading", { name: "Enter the code from your device" }).waitFor();
    const field = page.getByLabel("Code", { exact: true });
    expect(await field.inputValue()).toBe("");
    await field.fill(device.user_code);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await eventually(() => page.getByRole("alert").textContent()).toBe("That code is not valid: check it, or it may have expired.");
    expect(await pollDeviceToken(harmont, device.device_code)).toEqual({ status: 400, body: expect.objectContaining({ error: "access_denied" }) });
    expectCleanPages();
  });

  it("device login: a slip is caught in the page, a wrong code is refused, one typed in lowercase with spaces works, and too many wrong codes say how long to wait", async () => {
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email: "ada@example.com" });
    const device = await startDeviceLogin(harmont, { name: "harmont CLI on ada-laptop" });
    const calls = watchApiCalls(page, "/api/v0/auth/device/");

    // Typed at the bare address (verification_uri): nothing filled in, no link notice.
    await page.goto(device.verification_uri);
    await page.getByRole("heading", { name: "Enter the code from your device" }).waitFor();
    const field = page.getByLabel("Code", { exact: true });
    expect(await field.inputValue()).toBe("");
    expect(await page.getByText("The code came with the link you opened.", { exact: false }).count()).toBe(0);
    const continueButton = page.getByRole("button", { name: "Continue", exact: true });

    // Not the shape of a code: said at once, nothing sent (so nothing counted against the limit).
    await field.fill("bcdf-gh1");
    await continueButton.click();
    await eventually(() => page.getByRole("alert").textContent()).toBe("A code is 8 letters, like BCDF-GHJK: check the one your terminal shows.");
    expect(calls).toEqual([]);

    // The right shape but no such login: the server refuses it.
    await field.fill(otherUserCode(device.user_code, 1));
    await continueButton.click();
    await eventually(() => page.getByRole("alert").textContent()).toBe("That code is not valid: check it, or it may have expired.");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(calls).toEqual(["lookup"]);
    await saveScreenshot(page, "device-code-invalid");

    // Typed by hand, in lowercase, with a space: shown as XXXX-XXXX while typing, and found.
    await field.fill("");
    await field.pressSequentially(device.user_code.toLowerCase().replace("-", " "));
    expect(await field.inputValue()).toBe(device.user_code);
    await continueButton.click();
    await page.getByRole("heading", { name: "Approve a device login" }).waitFor();
    expect(await page.getByTestId("device-user-code").textContent()).toBe(device.user_code);
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.getByRole("heading", { name: "Go back to your terminal" }).waitFor();
    expect((await pollDeviceToken(harmont, device.device_code)).status).toBe(200);

    // Ten wrong codes a quarter of an hour per person: the eleventh try says how long to wait.
    await page.goto(`${harmont.url}/device`);
    for (let tries = 2; tries <= 10; tries++) {
      await field.fill(otherUserCode(device.user_code, tries));
      const answered = page.waitForResponse((answer) => answer.url().endsWith("/api/v0/auth/device/lookup"));
      await continueButton.click();
      expect((await answered).status()).toBe(400);
    }
    await field.fill(otherUserCode(device.user_code, 11));
    const limited = page.waitForResponse((answer) => answer.url().endsWith("/api/v0/auth/device/lookup"));
    await continueButton.click();
    expect((await limited).status()).toBe(429);
    await eventually(() => page.getByRole("alert").textContent()).toMatch(/^Too many tries: wait 1[45] minutes, then try again\.$/);
    await saveScreenshot(page, "device-rate-limited");
    expectCleanPages();
  });

  it("device login: Approve and Deny have equal weight and neither has the focus; a client the operator registered says so; it fits a phone", async () => {
    await harmont.stop();
    harmont = await startHarmont({ settings: { HARMONT_OAUTH_CLIENTS: "acme-cli=Acme CLI" } });
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email: "ada@example.com" });
    const device = await startDeviceLogin(harmont, { clientId: "acme-cli", name: "Acme deploy bot" });
    await page.goto(device.verification_uri_complete);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Approve a device login" }).waitFor();

    // The registry's name, labelled as the operator's; its own name quoted beside it.
    const client = page.locator(".device-client");
    expect(await page.getByTestId("device-client-name").textContent()).toBe("Acme CLI");
    expect(await client.textContent()).toBe("Acme CLI wants to sign in to your accountregistered by this server's operator");
    expect(await page.getByTestId("device-session-name").textContent()).toBe("“Acme deploy bot”");

    // Equal weight: the same component, variant and size, side by side; the focus on neither.
    const approve = page.getByRole("button", { name: "Approve", exact: true });
    const deny = page.getByRole("button", { name: "Deny", exact: true });
    expect(await approve.getAttribute("class")).toBe("button button--secondary");
    expect(await deny.getAttribute("class")).toBe(await approve.getAttribute("class"));
    const [approveBox, denyBox] = [await approve.boundingBox(), await deny.boundingBox()];
    expect(approveBox && [approveBox.width, approveBox.height, approveBox.y]).toEqual(denyBox && [denyBox.width, denyBox.height, denyBox.y]);
    expect(approveBox!.x).toBeLessThan(denyBox!.x);
    expect(await approve.evaluate((element) => element === document.activeElement)).toBe(false);
    expect(await deny.evaluate((element) => element === document.activeElement)).toBe(false);
    await saveScreenshot(page, "device-consent-operator-client");

    // On a phone: nothing wider than the screen, the two buttons still the same size.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const [approveOnPhone, denyOnPhone] = [await approve.boundingBox(), await deny.boundingBox()];
    expect(approveOnPhone && [approveOnPhone.width, approveOnPhone.height]).toEqual(denyOnPhone && [denyOnPhone.width, denyOnPhone.height]);
    await saveScreenshot(page, "device-consent-phone");

    // The client's own polls hear the answer.
    await deny.click();
    await page.getByRole("heading", { name: "Login denied" }).waitFor();
    expect(await pollDeviceToken(harmont, device.device_code, "acme-cli")).toEqual({ status: 400, body: expect.objectContaining({ error: "access_denied" }) });
    expectCleanPages();
  });

  it("development inbox: every message sent, newest first, with its code a click from the clipboard", async () => {
    const { page } = browser;
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: harmont.url });
    await page.goto(`${harmont.url}/dev/mail`);
    await page.getByRole("heading", { name: "Development inbox" }).waitFor();
    await page.getByText("No mail yet.").waitFor();

    // A sign-in by email code, as a person would start it; the page picks the mail up by itself.
    expect((await harmont.api("/api/v0/auth/email-code", { json: { email: "ada@example.com" } })).status).toBe(202);
    expect((await harmont.api("/api/v0/auth/email-code", { json: { email: "grace@example.com" } })).status).toBe(202);
    await eventually(() => page.locator(".devmail__meta").count()).toBe(2);
    const recipients = await page.locator(".devmail__meta").allTextContents();
    expect(recipients[0]).toContain("grace@example.com");
    expect(recipients[1]).toContain("ada@example.com");
    await saveScreenshot(page, "dev-mail");

    // The code shown is the one sent, and a click copies it.
    const sent = await harmont.smtp.waitForMail("grace@example.com");
    const code = page.locator(".devmail__code").first();
    const shown = (await code.textContent()) ?? "";
    expect(sent.raw).toContain(shown);
    await code.click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);
    expectCleanPages();
  });
});
