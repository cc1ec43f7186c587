/**
 * The sign-in page's `?return=` in a real browser: whatever trick from the OWASP open-redirect
 * list the link carries, signing in ends on a page of this origin, with no script error (a
 * history entry for "//host" would throw in Chromium and strand the person on sign-in).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInChromium, launchBrowser, type TestBrowser } from "./support/chromium.js";
import { startHarmont, type RunningHarmont } from "./support/harmont.js";
import { password, signInWithPassword } from "./support/pages.js";

const tricks = [
  "/.//evil.example",
  "/..//evil.example",
  "/./..//evil.example",
  "/a/..//evil.example",
  "/%2e%2e//evil.example",
  "//evil.example",
  "/\\evil.example",
  "/\t/evil.example",
  "https:evil.example",
  "/%2f%2fevil.example",
  "javascript:alert(document.domain)",
];

describeInChromium("return paths in Chromium", () => {
  let harmont: RunningHarmont;
  let browser: TestBrowser;
  const email = "redirects@example.com";

  beforeAll(async () => {
    harmont = await startHarmont();
    browser = await launchBrowser();
    await harmont.createAccount(email, password, "Ada");
  });

  afterAll(async () => {
    await browser?.close();
    await harmont?.stop();
  });

  it("ends every sign-in on this origin, whatever the return link says", async () => {
    const { page, context } = browser;
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    for (const trick of tricks) {
      await context.clearCookies();
      await page.goto(`${harmont.url}/sign-in?return=${encodeURIComponent(trick)}`);
      await signInWithPassword(page, email);
      // Signed in, the page leaves /sign-in: for /account when the return was refused, or for a
      // path of this origin (an encoded "%2f%2f" is such a path, and answers "Page not found").
      await page.waitForURL((url) => url.pathname !== "/sign-in", { timeout: 15_000 });
      expect(new URL(page.url()).origin, trick).toBe(harmont.url);
      expect(errors, trick).toEqual([]);
    }
    // And a same-origin return still works.
    await context.clearCookies();
    await page.goto(`${harmont.url}/sign-in?return=${encodeURIComponent("/account#sessions")}`);
    await signInWithPassword(page, email);
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(page.url()).toBe(`${harmont.url}/account#sessions`);
  }, 120_000);
});
