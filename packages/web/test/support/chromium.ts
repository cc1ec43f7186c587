/**
 * Debian's Chromium, driven by playwright-core (which never downloads a browser). Each journey
 * gets its own browser with a fresh profile directory. When Chromium is missing the suite fails
 * under CI and is skipped, loudly, elsewhere.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { describe, it } from "vitest";

export const chromiumPath = process.env.HARMONT_CHROMIUM?.trim() || "/usr/bin/chromium";
const inCi = ["true", "1"].includes(process.env.CI?.trim().toLowerCase() ?? "");

const chromiumFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** `describe`, or a loud skip (a failure under CI) when Chromium is not installed. */
export function describeInChromium(name: string, body: () => void): void {
  if (existsSync(chromiumPath)) {
    // A journey takes a few seconds alone; leave room for a machine busy with the other suites.
    describe(name, { timeout: 90_000 }, body);
    return;
  }
  const message = `Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\` (or set HARMONT_CHROMIUM).`;
  if (inCi) {
    describe(name, () => {
      it("finds Chromium", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n[skipped] ${name}: ${message}\n`);
  describe.skip(name, body);
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Every Content-Security-Policy violation the pages reported (events and console). */
  cspViolations: string[];
  /** Every URL the pages requested. */
  requests: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "harmont-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: options.viewport ?? { width: 1024, height: 760 },
    deviceScaleFactor: 1,
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
  });
  const cspViolations: string[] = [];
  const requests: string[] = [];
  await context.exposeBinding("__reportCspViolation", (_source, text: string) => {
    cspViolations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation;
      report(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI.split("?")[0]}`);
    });
  });
  const watch = (page: Page) => {
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("request", (request) => requests.push(request.url()));
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    cspViolations,
    requests,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
