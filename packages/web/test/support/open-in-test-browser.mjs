#!/usr/bin/env node
// The HARMONT_BROWSER of the CLI journeys: instead of starting a browser, it hands the URL the
// CLI wants opened to the test (HARMONT_TEST_BROWSER_BRIDGE), which opens it in its Chromium.
// Exits 0 once the test has the URL, like a launcher that started a browser.
const url = process.argv.at(-1);
const bridge = process.env.HARMONT_TEST_BROWSER_BRIDGE;
if (!url || !bridge) {
  process.stderr.write("usage: HARMONT_TEST_BROWSER_BRIDGE=<url> open-in-test-browser.mjs <url>\n");
  process.exit(2);
}
try {
  const response = await fetch(bridge, { method: "POST", headers: { "content-type": "text/plain" }, body: url });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`open-in-test-browser: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
