/**
 * The journeys that cross from the browser to the real `harmont` binary: each one a fresh
 * server and database, Chromium playing the person's browser, and the CLI spawned as a person
 * runs it (HARMONT_BROWSER hands the URL it opens to the test's browser).
 *
 * 1. Browser handoff: sign up, `harmont login`, Authorize → "Logged in … as <email>", and the tab,
 *    still on Harmont, says the terminal is signed in.
 *    After Authorize the tab never leaves Harmont, whatever happens to the terminal: when the CLI
 *    is gone, it ends on "That login is no longer waiting"; when the browser cannot reach the CLI's
 *    loopback listener, the CLI still logs in by polling and the tab says so.
 * 2. Paste code: the browser shows a code, typed into `harmont login --paste` → logged in.
 * 3. Deny: the CLI stops at once with the denied message.
 * 5. The account page lists the CLI session by its name; revoking it makes `harmont status`
 *    report it dead.
 * 6. `harmont open`: the CLI's session opens the web app in a signed-out browser, after the page
 *    asks; `harmont logout` then signs that browser out too.
 */
import { hostname } from "node:os";
import type { Page } from "playwright-core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
import { startLoopbackListener } from "../../cli/src/login/loopback.js";
import { findFreePort } from "../../server/src/test-support/ports.js";
import { cliEnvironment, harmontBinary, harmontBinaryExists, startBrowserBridge, type BrowserBridge, type CliEnvironment, type CliRun } from "./support/cli.js";
import { startHarmont, type RunningHarmont } from "./support/harmont.js";
import { eventually, signUp } from "./support/pages.js";
import { saveScreenshot } from "./support/screenshots.js";

const email = "ada@example.com";

describeInChromium("the harmont CLI and the web app together", () => {
  let harmont: RunningHarmont;
  let browser: TestBrowser;
  let bridge: BrowserBridge;
  let cli: CliEnvironment;
  /** What `start` started, stopped after each journey. */
  const started: Array<() => void | Promise<void>> = [];

  beforeEach(async () => {
    if (!harmontBinaryExists()) throw new Error(`the harmont binary is not built (${harmontBinary} is missing): run \`npm run build\``);
    bridge = await startBrowserBridge();
    browser = await launchBrowser();
  });

  /** Starts the server (with these settings) and a CLI environment pointed at it. */
  async function start(settings: Record<string, string> = {}): Promise<void> {
    harmont = await startHarmont({ settings });
    cli = cliEnvironment(harmont.url, bridge);
    started.push(() => cli.cleanup(), () => harmont.stop());
  }

  afterEach(async () => {
    for (const stop of started.splice(0)) await stop();
    await browser?.close();
    await bridge?.close();
  });

  /**
   * Starts `harmont login` and opens, in the test's browser, the page it asked to open (after
   * `before` has had its say: it may stop the CLI, or change the link).
   */
  async function startBrowserLogin(page: Page, before?: (login: CliRun, url: URL) => Promise<URL | void>): Promise<{ login: CliRun; url: URL; phrase: string }> {
    const login = cli.run(["login"]);
    let url = new URL(await bridge.nextUrl());
    const [, phrase] = await login.waitForOutput(/Verification phrase: (\S+)/);
    url = (await before?.(login, url)) ?? url;
    await page.goto(url.href);
    await page.getByRole("heading", { name: "Authorize the Harmont CLI" }).waitFor();
    return { login, url, phrase: phrase! };
  }

  /** Every address the tab's main frame went to: after Authorize it must never leave Harmont. */
  function recordNavigations(page: Page): string[] {
    const visited: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
    return visited;
  }

  const callbackOf = (url: URL) => `http://127.0.0.1:${url.searchParams.get("port")}/callback?state=${url.searchParams.get("state")}`;

  it("journey 1: signs up in the browser, and `harmont login` finishes when Authorize is clicked; the tab says the terminal is signed in", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email });

    const { login, url, phrase } = await startBrowserLogin(page);
    expect(url.origin + url.pathname).toBe(`${harmont.url}/cli-login`);
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The page took the nonce out of the address bar, shows the terminal's phrase and the session's name.
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    await eventually(() => page.getByTestId("verification-phrase").textContent()).toBe(phrase);
    expect(await page.locator(".consent").textContent()).toContain(`A new CLI session named “harmont CLI on ${hostname()}” will be created.`);

    const visited = recordNavigations(page);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    await login.waitForOutput(new RegExp(`Logged in to \\S+ as ${email}`));
    expect(await login.exited).toBe(0);
    // The tab stayed on Harmont and says how it ended, naming the new session.
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.getByTestId("cli-session-name").textContent()).toBe(`harmont CLI on ${hostname()}`);
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    expect(visited).toEqual([]);
    // The CLI's loopback listener was nudged in the background, with the state the CLI gave.
    expect(browser.requests).toContain(callbackOf(url));

    const status = await cli.runToEnd(["status"]);
    expect(status.code).toBe(0);
    expect(status.output).toContain(email);
    expect(status.output).toContain(`harmont CLI on ${hostname()}`);
    expect(browser.cspViolations).toEqual([]);
  });

  it("after Authorize with the CLI gone, the tab ends on Harmont saying the login is no longer waiting", async () => {
    // A short handoff lifetime, so the approval lapses within seconds rather than a minute.
    await start({ HARMONT_HANDOFF_TTL: "4s" });
    const { page } = browser;
    await signUp(page, harmont, { email });
    const { url } = await startBrowserLogin(page, async (login) => {
      // The terminal was closed after it printed the link (or the CLI gave up waiting).
      login.child.kill("SIGKILL");
      await login.exited;
    });
    const visited = recordNavigations(page);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();

    // Parked: the page says it was approved and waits for a terminal to pick it up.
    await page.getByRole("heading", { name: "Approved — your terminal will pick this up" }).waitFor();
    expect(await page.locator(".result").textContent()).toContain("within 4 seconds");
    // Then the handoff's lifetime passes with no claim.
    await page.getByRole("heading", { name: "That login is no longer waiting" }).waitFor({ timeout: 15_000 });
    expect(await page.locator(".result").textContent()).toContain("harmont login");
    await saveScreenshot(page, "cli-login-lapsed");
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    // The background nudge went to the dead listener and failed quietly; the tab never followed it.
    expect(browser.requests).toContain(callbackOf(url));
    expect(visited).toEqual([]);
    expect((await harmont.api("/api/v0/auth/cli/claim", { json: { nonce: url.searchParams.get("nonce") } })).body.error.code).toBe("cli_code_invalid");
    expect(browser.cspViolations).toEqual([]);
  });

  it("when the browser cannot reach the CLI's loopback listener, the CLI logs in by polling and the tab says the terminal is signed in", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { email });
    // The link names a port nothing listens on (a container, a firewall, another machine's CLI).
    const unreachable = await findFreePort();
    const { login, url } = await startBrowserLogin(page, async (_login, url) => {
      const changed = new URL(url);
      changed.searchParams.set("port", String(unreachable));
      return changed;
    });
    const visited = recordNavigations(page);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();

    await login.waitForOutput(new RegExp(`Logged in to \\S+ as ${email}`));
    expect(await login.exited).toBe(0);
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.getByTestId("cli-session-name").textContent()).toBe(`harmont CLI on ${hostname()}`);
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    expect(browser.requests).toContain(callbackOf(url));
    expect(visited).toEqual([]);
    expect((await cli.runToEnd(["status"])).code).toBe(0);
    expect(browser.cspViolations).toEqual([]);
  });

  it("the CLI's own callback page, for a browser that is sent there: says the terminal is signed in, under its strict policy", async () => {
    const listener = await startLoopbackListener({ state: "the-state" });
    started.push(() => listener.close());
    const { page } = browser;
    const response = page.goto(`http://127.0.0.1:${listener.port}/callback?state=the-state`);
    await listener.callback;
    listener.finish("signed_in");
    expect((await response)?.status()).toBe(200);
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.locator("p").textContent()).toContain("You can close this tab");
    await saveScreenshot(page, "cli-loopback-signed-in");
    expect(browser.cspViolations).toEqual([]);
  });

  it("journey 2: the browser shows a paste code and `harmont login --paste` logs in with it", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email });

    const login = cli.run(["login", "--paste"], { stdin: "pipe" });
    const [pasteUrl] = await login.waitForOutput(/http:\/\/\S+\/cli-login\?paste=true/);
    await page.goto(pasteUrl!);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    const code = (await page.getByTestId("paste-code").textContent()) ?? "";
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);

    // Typed the way it is shown, dashes included.
    login.child.stdin!.end(`${code}\n`);
    await login.waitForOutput(new RegExp(`Logged in to \\S+ as ${email}`));
    expect(await login.exited).toBe(0);
    expect((await cli.runToEnd(["status"])).code).toBe(0);
    // The page that showed the code says it was used, and by which session.
    await page.getByRole("heading", { name: "Your terminal is signed in" }).waitFor();
    expect(await page.getByTestId("paste-session-name").textContent()).toMatch(/^“harmont CLI on .+”$/);
    expect(browser.cspViolations).toEqual([]);
  });

  it("journey 3: Deny stops the waiting CLI at once with the denied message", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { email });

    const { login } = await startBrowserLogin(page);
    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await page.getByRole("heading", { name: "Login denied" }).waitFor();
    const clicked = Date.now();
    await login.waitForOutput(/the login was denied in the browser/);
    expect(await login.exited).toBe(3);
    // "At once": within a couple of the CLI's one-second polls, far from its 5-minute window.
    expect(Date.now() - clicked).toBeLessThan(5_000);
    expect((await cli.runToEnd(["status"])).code).toBe(1);
  });

  it("journey 6: `harmont open` signs a signed-out browser in as the CLI's account after it asks, and `harmont logout` signs it out again", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { email });
    const { login } = await startBrowserLogin(page);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    expect(await login.exited).toBe(0);
    await page.goto(`${harmont.url}/account`);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "Sign in to Harmont" }).waitFor();

    const opening = cli.run(["open", "/orgs/new"]);
    const opened = new URL(await bridge.nextUrl());
    expect(opened.pathname).toBe("/cli-open");
    expect(opened.hash).toMatch(/^#code=hbt_[A-Za-z0-9_-]{43}&next=%2Forgs%2Fnew$/);
    expect(await opening.exited).toBe(0);
    expect(opening.output()).toContain(`Opened ${harmont.url}/orgs/new in your browser (as ${email}).`);
    expect(opening.output()).not.toContain("hbt_");

    await page.goto(opened.href);
    await page.getByRole("heading", { name: "Continue from your terminal" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/cli-open`);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await page.waitForURL(`${harmont.url}/orgs/new`);
    const session = await page.evaluate(async () => (await (await fetch("/api/v0/auth/session")).json()) as { user: { email: string }; session: { kind: string } });
    expect(session).toMatchObject({ user: { email }, session: { kind: "web" } });

    // The browser's session is the CLI session's child: signing the CLI out ends it.
    expect((await cli.runToEnd(["logout"])).code).toBe(0);
    expect(await page.evaluate(async () => (await fetch("/api/v0/auth/session")).status)).toBe(401);
    expect(browser.cspViolations).toEqual([]);
  });

  it("journey 5: the account page lists the CLI session by name; revoking it makes `harmont status` report it dead", async () => {
    await start();
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email });
    const { login } = await startBrowserLogin(page);
    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    expect(await login.exited).toBe(0);
    expect((await cli.runToEnd(["status"])).code).toBe(0);

    const sessionName = `harmont CLI on ${hostname()}`;
    await page.goto(`${harmont.url}/account`);
    const list = page.getByRole("list", { name: "Sessions" });
    await eventually(() => list.getByRole("listitem").count()).toBe(2);
    const cliRow = list.getByRole("listitem").filter({ hasText: sessionName });
    expect(await cliRow.getByText("CLI", { exact: true }).count()).toBe(1);
    await saveScreenshot(page, "account-cli-session");

    await page.getByRole("button", { name: `Revoke ${sessionName}` }).click();
    await eventually(() => list.getByRole("listitem").count()).toBe(1);

    const status = await cli.runToEnd(["status"]);
    expect(status.code).toBe(1);
    // Revoked, not expired: the CLI tells the two apart (its recorded expiry has not passed).
    expect(status.output).toContain("session no longer valid: it was revoked");
    expect(browser.cspViolations).toEqual([]);
  });
});
