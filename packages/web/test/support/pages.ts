/** Steps the journeys share, done the way a person does them. */
import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { TestBrowser } from "./chromium.js";
import type { RunningHarmont } from "./harmont.js";

export const password = "correct horse battery staple";

export async function signUp(page: Page, harmont: RunningHarmont, account: { name?: string; email: string }): Promise<void> {
  await page.goto(`${harmont.url}/sign-up`);
  if (account.name) await page.getByLabel("Name (optional)").fill(account.name);
  await page.getByLabel("Email", { exact: true }).fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your account" }).waitFor();
}

/** Signs up and confirms the address with the code from the real mail (two-step verification needs a verified address). */
export async function signUpVerified(page: Page, harmont: RunningHarmont, account: { name?: string; email: string }): Promise<void> {
  const since = harmont.smtp.messages.length;
  await signUp(page, harmont, account);
  await page.getByLabel("Confirmation code").fill(await harmont.nextCode(account.email, since));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByText("Email verified").waitFor();
}

export async function signInWithPassword(page: Page, email: string): Promise<void> {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** What a page script could find (cookies it may read, both storages): a secret must not be among it. */
export async function pageReadableState(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage } }));
}

/** Records the address bar at the app's first render, in `window.__firstRenderAddress`. */
export async function recordFirstRenderAddress(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const observer = new MutationObserver(() => {
      const root = document.getElementById("root");
      if (!root || root.childNodes.length === 0) return;
      (window as unknown as { __firstRenderAddress: string }).__firstRenderAddress = window.location.href;
      observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true });
  });
}

/** `expect.poll` with room for a busy machine (its default gives up after one second). */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 15_000, interval: 50 });
}

/** The API calls the page makes under `prefix`, as they happen: what follows the prefix in each path. */
export function watchApiCalls(page: Page, prefix: string): string[] {
  const calls: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith(prefix)) calls.push(path.slice(prefix.length));
  });
  return calls;
}

/** What every journey ends with: no CSP violation, and nothing fetched from an origin but these. */
export function expectCleanBrowser(browser: Pick<TestBrowser, "cspViolations" | "requests">, allowedOrigins: string[]): void {
  expect(browser.cspViolations).toEqual([]);
  const origins = new Set(browser.requests.filter((url) => url.startsWith("http")).map((url) => new URL(url).origin));
  for (const origin of origins) expect(allowedOrigins).toContain(origin);
}
