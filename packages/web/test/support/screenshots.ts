/**
 * Screenshots of each page. `npm run screenshots -w @harmont/web` writes them to
 * docs/screenshots/ (the README and the guides show them); an ordinary test run writes them to
 * test-results/screenshots/, so running the tests never changes tracked files.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

const repository = new URL("../../../../", import.meta.url);
export const screenshotDirectory = fileURLToPath(
  new URL(process.env.HARMONT_UPDATE_SCREENSHOTS === "1" ? "docs/screenshots/" : "test-results/screenshots/", repository),
);

export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true });
  // Let fonts and the focus ring settle; no caret blinking in the picture.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: `${screenshotDirectory}/${name}.png`, fullPage: true, caret: "hide", animations: "disabled" });
}
