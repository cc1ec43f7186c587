/**
 * `harmont open` in a real browser (Debian's Chromium through playwright-core) against a real
 * Harmont server: the `/cli-open` page a CLI session's one-time code opens. The CLI's side is
 * played by plain HTTP calls, as the CLI makes them: a CLI session from a paste code, then
 * `POST /api/v0/auth/cli/browser-token` with it, and the URL it answers with `&next=` added.
 * A browser signed out, signed in as another account, and signed in as the same account; Cancel;
 * a missing, damaged or unknown code; and a `next` that would leave the origin.
 */
import type { Page } from "playwright-core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
import { startHarmont, type RunningHarmont } from "./support/harmont.js";
import { eventually, expectCleanBrowser, pageReadableState, password, recordFirstRenderAddress, signUp, watchApiCalls } from "./support/pages.js";
import { saveScreenshot } from "./support/screenshots.js";

const cliName = "harmont CLI on ada-laptop";
const confirmHeading = "Continue from your terminal";
const expiredHeading = "This link expired or was already used";

interface CliSession {
  token: string;
  id: string;
}

/** Signs `email` in to a CLI the way `harmont login --paste` does: a paste code minted by a web session, redeemed by the CLI. */
async function cliSessionFor(harmont: RunningHarmont, email: string): Promise<CliSession> {
  const web = await harmont.api("/api/v0/auth/login", { json: { email, password } });
  expect(web.status).toBe(200);
  const paste = await harmont.api("/api/v0/auth/cli/code", { method: "POST", token: web.body.token });
  expect(paste.status).toBe(200);
  const redeemed = await harmont.api("/api/v0/auth/cli/redeem", { json: { code: paste.body.code, name: cliName } });
  expect(redeemed.status).toBe(200);
  const session = await harmont.api("/api/v0/auth/session", { token: redeemed.body.token });
  expect(session.body.session).toMatchObject({ kind: "cli", name: cliName });
  return { token: redeemed.body.token, id: session.body.session.id };
}

/** What `harmont open [next]` does before it opens the browser: a code, and the URL with `next` added. */
async function openLink(harmont: RunningHarmont, cli: CliSession, next = "/account"): Promise<{ code: string; url: string }> {
  const minted = await harmont.api("/api/v0/auth/cli/browser-token", { method: "POST", token: cli.token });
  expect(minted.status).toBe(200);
  const { code, url } = minted.body as { code: string; url: string };
  expect(code).toMatch(/^hbt_[A-Za-z0-9_-]{43}$/);
  expect(url).toBe(`${harmont.url}/cli-open#code=${code}`);
  return { code, url: `${url}&next=${encodeURIComponent(next)}` };
}

const inspect = (harmont: RunningHarmont, code: string) => harmont.api("/api/v0/auth/cli/browser-token/inspect", { json: { code } });

/** Who this browser's cookie session is, or null when it has none. */
async function browserSession(page: Page): Promise<{ email: string; sessionId: string; name: string; parent: string | null } | null> {
  return page.evaluate(async () => {
    const response = await fetch("/api/v0/auth/session");
    if (!response.ok) return null;
    const body = (await response.json()) as { user: { email: string }; session: { id: string; name: string; parent_session_id: string | null } };
    return { email: body.user.email, sessionId: body.session.id, name: body.session.name, parent: body.session.parent_session_id };
  });
}

/**
 * Records, for the whole life of each document: the address at the app's first render and after
 * every history change (`window.__addresses`), and every page heading shown (`window.__headings`).
 */
async function recordAddressesAndHeadings(page: Page): Promise<void> {
  await recordFirstRenderAddress(page);
  await page.addInitScript(() => {
    const seen = window as unknown as { __addresses: string[]; __headings: string[] };
    seen.__addresses = [];
    seen.__headings = [];
    for (const method of ["pushState", "replaceState"] as const) {
      const original = history[method].bind(history);
      history[method] = (...args: Parameters<History["pushState"]>) => {
        original(...args);
        seen.__addresses.push(window.location.href);
      };
    }
    new MutationObserver(() => {
      document.querySelectorAll("h1").forEach((heading) => {
        const text = heading.textContent ?? "";
        if (seen.__headings.at(-1) !== text) seen.__headings.push(text);
      });
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
}

const recorded = (page: Page) =>
  page.evaluate(() => {
    const seen = window as unknown as { __firstRenderAddress: string; __addresses: string[]; __headings: string[] };
    return { firstRender: seen.__firstRenderAddress, addresses: seen.__addresses, headings: seen.__headings };
  });

describeInChromium("harmont open in Chromium", () => {
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

  /** Same checks after every journey: no CSP violation, nothing fetched from another origin, no code in a log line. */
  function expectCleanPages(codes: string[] = []) {
    expectCleanBrowser(browser, [harmont.url]);
    for (const code of codes) expect(harmont.logs.text).not.toContain(code);
  }

  it("signed out: the code leaves the address bar before the first render, the page asks, and Continue signs in as the CLI's account and goes to next; the link then works no more", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    const cli = await cliSessionFor(harmont, email);
    const link = await openLink(harmont, cli, "/account");
    const calls = watchApiCalls(page, "/api/v0/auth/cli/browser-token/");
    await recordAddressesAndHeadings(page);

    await page.goto(link.url);
    await page.getByRole("heading", { name: confirmHeading }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/cli-open`);
    expect((await recorded(page)).firstRender).toBe(`${harmont.url}/cli-open`);

    // The question names the account and the CLI session the code came from, with the warning; nothing else to say for a signed-out browser.
    const consent = page.locator(".consent");
    expect(await consent.locator(".identity").textContent()).toContain(email);
    expect(await page.getByTestId("cli-open-question").textContent()).toContain(`Continue as ${email} from “${cliName}”?`);
    const notes = page.getByRole("note");
    expect(await notes.count()).toBe(1);
    expect(await notes.textContent()).toContain("Only continue if you just ran harmont open.");
    await saveScreenshot(page, "cli-open-consent");
    // Asking used nothing up, and signed nobody in.
    expect(calls).toEqual(["inspect"]);
    expect((await inspect(harmont, link.code)).status).toBe(200);
    expect(await browserSession(page)).toBeNull();
    expect(await pageReadableState(page)).not.toContain("hbt_");

    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/account`);
    expect(await page.locator(".topbar__email").textContent()).toBe(email);
    expect(calls).toEqual(["inspect", "consume"]);
    // A browser session of its own, a child of the CLI session (it ends with it).
    expect(await browserSession(page)).toEqual({ email, sessionId: expect.any(String), name: `Web session (opened from ${cliName})`, parent: cli.id });

    // The code was never in the address bar after load, in a request, or anywhere a page script can read.
    const { addresses } = await recorded(page);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(address).not.toContain("hbt_");
    expect(browser.requests.filter((url) => url.includes("hbt_"))).toEqual([]);
    expect(await pageReadableState(page)).not.toContain("hbt_");

    // Used up: the same link again says so, and this browser stays signed in.
    await page.goto("about:blank");
    await page.goto(link.url);
    await page.getByRole("heading", { name: expiredHeading }).waitFor();
    expect(await page.locator(".result").textContent()).toContain("Run harmont open again.");
    expect(page.url()).toBe(`${harmont.url}/cli-open`);
    expect((await browserSession(page))?.email).toBe(email);
    expect((await inspect(harmont, link.code)).body.error.code).toBe("cli_browser_token_invalid");
    expectCleanPages([link.code]);
  });

  it("signed in as another account: the page says continuing signs it out, and Continue replaces that session with the CLI's account", async () => {
    const { page } = browser;
    const ada = "ada@example.com";
    const bob = "bob@example.com";
    await signUp(page, harmont, { name: "Bob", email: bob });
    const before = await browserSession(page);
    expect(before?.email).toBe(bob);
    await harmont.createAccount(ada, password, "Ada Lovelace");
    const link = await openLink(harmont, await cliSessionFor(harmont, ada), "/account");

    await page.goto(link.url);
    await page.getByRole("heading", { name: confirmHeading }).waitFor();
    expect(await page.getByTestId("cli-open-question").textContent()).toContain(`Continue as ${ada} from “${cliName}”?`);
    const warning = page.getByRole("note").filter({ hasText: "signed in as" });
    expect(await warning.textContent()).toBe(`You are signed in as ${bob}; continuing signs you out of that account.`);
    // Asking changed nothing yet.
    expect((await browserSession(page))?.sessionId).toBe(before?.sessionId);

    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await eventually(() => page.locator(".topbar__email").textContent()).toBe(ada);
    expect((await browserSession(page))?.email).toBe(ada);

    // Bob's browser session is gone, not just forgotten by the cookie: his own list no longer has it.
    const bobNow = await harmont.api("/api/v0/auth/login", { json: { email: bob, password } });
    const listed = await harmont.api("/api/v0/auth/sessions", { token: bobNow.body.token });
    expect(listed.status).toBe(200);
    expect((listed.body.sessions as { id: string }[]).map((session) => session.id)).not.toContain(before?.sessionId);
    expectCleanPages([link.code]);
  });

  it("signed in as the same account: no question, the code is used up at once, the session kept, and the page goes to next", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await signUp(page, harmont, { name: "Ada Lovelace", email });
    const before = await browserSession(page);
    const link = await openLink(harmont, await cliSessionFor(harmont, email), "/orgs/new");
    const calls = watchApiCalls(page, "/api/v0/auth/cli/browser-token/");
    await recordAddressesAndHeadings(page);

    await page.goto(link.url);
    await page.getByRole("heading", { name: "Create an organization" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/orgs/new`);
    expect(calls).toEqual(["inspect", "consume"]);
    const { headings } = await recorded(page);
    expect(headings).toContain("Create an organization");
    expect(headings).not.toContain(confirmHeading);
    expect(await page.getByRole("button", { name: "Continue", exact: true }).count()).toBe(0);

    // The same session as before (none was made), and the code is spent.
    expect(await browserSession(page)).toEqual(before);
    expect((await inspect(harmont, link.code)).body.error.code).toBe("cli_browser_token_invalid");
    expect(browser.requests.filter((url) => url.includes("hbt_"))).toEqual([]);
    expectCleanPages([link.code]);
  });

  it("Cancel changes nothing: the browser keeps its session and the code still works", async () => {
    const { page } = browser;
    const ada = "ada@example.com";
    const bob = "bob@example.com";
    await signUp(page, harmont, { name: "Bob", email: bob });
    const before = await browserSession(page);
    await harmont.createAccount(ada, password, "Ada Lovelace");
    const link = await openLink(harmont, await cliSessionFor(harmont, ada), "/account");
    const calls = watchApiCalls(page, "/api/v0/auth/cli/browser-token/");

    await page.goto(link.url);
    await page.getByRole("heading", { name: confirmHeading }).waitFor();
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByRole("heading", { name: "Nothing was changed" }).waitFor();
    expect(await page.locator(".result").textContent()).toContain(`The link was not used, and this browser is still signed in as ${bob}.`);
    expect(page.url()).toBe(`${harmont.url}/cli-open`);
    expect(calls).toEqual(["inspect"]);
    expect(await browserSession(page)).toEqual(before);
    const still = await inspect(harmont, link.code);
    expect(still.status).toBe(200);
    expect(still.body).toMatchObject({ user: { email: ada }, cli_session: { name: cliName } });
    expect(await pageReadableState(page)).not.toContain("hbt_");
    expectCleanPages([link.code]);
  });

  it("a missing, damaged or unknown code says the link expired or was used, a damaged one is never sent; a new link in the same tab is taken", async () => {
    const { page } = browser;
    const calls = watchApiCalls(page, "/api/v0/auth/cli/browser-token/");
    const expectExpired = async (address: string) => {
      await page.goto("about:blank");
      await page.goto(address);
      await page.getByRole("heading", { name: expiredHeading }).waitFor();
      expect(await page.locator(".result").textContent()).toContain("Run harmont open again.");
      expect(page.url()).toBe(`${harmont.url}/cli-open`);
    };

    await expectExpired(`${harmont.url}/cli-open`);
    await expectExpired(`${harmont.url}/cli-open#next=%2Faccount`);
    await expectExpired(`${harmont.url}/cli-open#code=garbage&next=%2Faccount`);
    await expectExpired(`${harmont.url}/cli-open#code=hbt_${"A".repeat(42)}!&next=%2Faccount`);
    await expectExpired(`${harmont.url}/cli-open#token=hbt_${"A".repeat(43)}&next=%2Faccount`);
    expect(calls).toEqual([]);

    // Well-formed but unknown: the server says no.
    await expectExpired(`${harmont.url}/cli-open#code=hbt_${"A".repeat(43)}&next=%2Faccount`);
    expect(calls).toEqual(["inspect"]);
    expect(await browserSession(page)).toBeNull();

    // A real link opened in this tab changes only the fragment (no reload): the page takes it, and clears the address bar.
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    const link = await openLink(harmont, await cliSessionFor(harmont, email), "/account");
    await page.goto(link.url);
    await page.getByRole("heading", { name: confirmHeading }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/cli-open`);
    expect(calls).toEqual(["inspect", "inspect"]);
    expectCleanPages([link.code]);
  });

  it("a next that would leave the origin goes to the account page, after Continue and without a question", async () => {
    const { page } = browser;
    const email = "ada@example.com";
    await harmont.createAccount(email, password, "Ada Lovelace");
    const cli = await cliSessionFor(harmont, email);

    // Signed out: asked, then to /account rather than the other site.
    const absolute = await openLink(harmont, cli, "https://evil.example/");
    await page.goto(absolute.url);
    await page.getByRole("heading", { name: confirmHeading }).waitFor();
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/account`);

    // Signed in as the same account now: straight through, and still to /account.
    for (const next of ["//evil.example", "/\\evil.example", "/.//evil.example"]) {
      await page.goto("about:blank");
      const link = await openLink(harmont, cli, next);
      await page.goto(link.url);
      await page.getByRole("heading", { name: "Your account" }).waitFor();
      expect(page.url()).toBe(`${harmont.url}/account`);
      expect((await inspect(harmont, link.code)).body.error.code).toBe("cli_browser_token_invalid");
    }
    expect(browser.requests.filter((url) => url.includes("evil.example"))).toEqual([]);
    expectCleanPages([absolute.code]);
  });
});
