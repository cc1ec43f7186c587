/**
 * The journeys that cross from the browser to the real `harmont` binary: each one a fresh
 * server and database, Chromium playing the person's browser, and the CLI spawned as a person
 * runs it (HARMONT_BROWSER hands the URL it opens to the test's browser).
 *
 * 1. Browser handoff: sign up, `harmont login`, Authorize → "Logged in … as <email>".
 * 2. Paste code: the browser shows a code, typed into `harmont login --paste` → logged in.
 * 3. Deny: the CLI stops at once with the denied message.
 * 5. The account page lists the CLI session by its name; revoking it makes `harmont status`
 *    report it dead.
 */
import { hostname } from "node:os";
import type { Page } from "playwright-core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
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

  beforeEach(async () => {
    if (!harmontBinaryExists()) throw new Error(`the harmont binary is not built (${harmontBinary} is missing): run \`npm run build\``);
    harmont = await startHarmont();
    bridge = await startBrowserBridge();
    cli = cliEnvironment(harmont.url, bridge);
    browser = await launchBrowser();
  });

  afterEach(async () => {
    cli?.cleanup();
    await browser?.close();
    await bridge?.close();
    await harmont?.stop();
  });

  /** Starts `harmont login` and opens, in the test's browser, the page it asked to open. */
  async function startBrowserLogin(page: Page): Promise<{ login: CliRun; url: URL; phrase: string }> {
    const login = cli.run(["login"]);
    const url = new URL(await bridge.nextUrl());
    const [, phrase] = await login.waitForOutput(/Verification phrase: (\S+)/);
    await page.goto(url.href);
    await page.getByRole("heading", { name: "Authorize the Harmont CLI" }).waitFor();
    return { login, url, phrase: phrase! };
  }

  it("journey 1: signs up in the browser, and `harmont login` finishes when Authorize is clicked", async () => {
    const { page } = browser;
    await signUp(page, harmont, { name: "Ada Lovelace", email });

    const { login, url, phrase } = await startBrowserLogin(page);
    expect(url.origin + url.pathname).toBe(`${harmont.url}/cli-login`);
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The page took the nonce out of the address bar, shows the terminal's phrase and the session's name.
    expect(page.url()).toBe(`${harmont.url}/cli-login`);
    await eventually(() => page.getByTestId("verification-phrase").textContent()).toBe(phrase);
    expect(await page.locator(".consent").textContent()).toContain(`A new CLI session named “harmont CLI on ${hostname()}” will be created.`);

    await page.getByRole("button", { name: "Authorize", exact: true }).click();
    await login.waitForOutput(new RegExp(`Logged in to \\S+ as ${email}`));
    expect(await login.exited).toBe(0);
    // The browser went on to the CLI's loopback listener, with the state the CLI gave. (Whether
    // its page is still there to answer depends on who won: the callback or the CLI's own poll.)
    const callback = `http://127.0.0.1:${url.searchParams.get("port")}/callback?state=${url.searchParams.get("state")}`;
    await eventually(() => browser.requests).toContain(callback);

    const status = await cli.runToEnd(["status"]);
    expect(status.code).toBe(0);
    expect(status.output).toContain(email);
    expect(status.output).toContain(`harmont CLI on ${hostname()}`);
    expect(browser.cspViolations).toEqual([]);
  });

  it("journey 2: the browser shows a paste code and `harmont login --paste` logs in with it", async () => {
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
    expect(browser.cspViolations).toEqual([]);
  });

  it("journey 3: Deny stops the waiting CLI at once with the denied message", async () => {
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

  it("journey 5: the account page lists the CLI session by name; revoking it makes `harmont status` report it dead", async () => {
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
    expect(status.output).toContain("session expired");
    expect(browser.cspViolations).toEqual([]);
  });
});
