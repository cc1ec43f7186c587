#!/usr/bin/env node
/**
 * A stand-in browser for the CLI tests, run through HARMONT_BROWSER: it plays the web app's part.
 * It reads the login URL from its last argument, records it, and then, by HARMONT_TEST_OPENER_MODE:
 *
 *   approve   POST /api/v0/auth/cli/transfer with the nonce, as Authorize does (the default)
 *   consume   POST /api/v0/auth/cli/browser-token/consume with the fragment's code, as the
 *             /cli-open page does (`harmont open`)
 *   callback  approve, then follow the loopback callback http://127.0.0.1:<port>/callback?state=…
 *   deny      POST /api/v0/auth/cli/deny, as Deny does
 *   nothing   nobody answers in the browser
 *   fail      exit 3, as xdg-open does when it finds no browser
 *
 * HARMONT_TEST_OPENER_DELAY_MS waits before answering (in the background: the opener itself
 * exits at once, like a real launcher). The signed-in person's web session token comes from
 * HARMONT_TEST_WEB_TOKEN, the API from HARMONT_TEST_API_URL. What happened is appended as JSON
 * lines to HARMONT_TEST_OPENER_LOG.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";

const url = process.argv[process.argv.length - 1];
const mode = process.env.HARMONT_TEST_OPENER_MODE ?? "approve";
const log = (record) => {
  if (process.env.HARMONT_TEST_OPENER_LOG) appendFileSync(process.env.HARMONT_TEST_OPENER_LOG, `${JSON.stringify(record)}\n`);
};

async function answer() {
  const page = new URL(url);
  const nonce = page.searchParams.get("nonce");
  const api = process.env.HARMONT_TEST_API_URL;
  const token = process.env.HARMONT_TEST_WEB_TOKEN;
  const post = (path) =>
    fetch(`${api}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ nonce }),
    });
  if (mode === "consume") {
    const fragment = new URLSearchParams(page.hash.slice(1));
    const consumed = await fetch(`${api}/api/v0/auth/cli/browser-token/consume`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: fragment.get("code") }),
    });
    log({ event: "consume", status: consumed.status, next: fragment.get("next"), cookie: /harmont_session=hmt_/.test(consumed.headers.get("set-cookie") ?? ""), body: await consumed.json() });
    return;
  }
  if (mode === "deny") {
    log({ event: "deny", status: (await post("/api/v0/auth/cli/deny")).status });
    return;
  }
  log({ event: "transfer", status: (await post("/api/v0/auth/cli/transfer")).status });
  if (mode === "callback") {
    const base = `http://127.0.0.1:${page.searchParams.get("port")}`;
    const wrongState = await fetch(`${base}/callback?state=not-the-state`);
    const otherPath = await fetch(`${base}/favicon.ico`);
    const callback = await fetch(`${base}/callback?state=${encodeURIComponent(page.searchParams.get("state") ?? "")}`);
    log({
      event: "callback",
      wrongStateStatus: wrongState.status,
      otherPathStatus: otherPath.status,
      status: callback.status,
      contentType: callback.headers.get("content-type"),
      body: await callback.text(),
    });
  }
}

if (process.argv.includes("--answer")) {
  // The background half: wait, then answer as the web app would.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.HARMONT_TEST_OPENER_DELAY_MS ?? 0)));
  try {
    await answer();
  } catch (error) {
    log({ event: "error", message: String(error) });
  }
} else {
  log({ event: "opened", url, argv: process.argv.slice(2) });
  if (mode === "fail") process.exit(3);
  if (mode !== "nothing") {
    if (Number(process.env.HARMONT_TEST_OPENER_DELAY_MS ?? 0) > 0) {
      spawn(process.execPath, [process.argv[1], "--answer", url], { detached: true, stdio: "ignore" }).unref();
    } else {
      await answer();
    }
  }
}
