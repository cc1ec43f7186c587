/**
 * The browser flow's pace and endings, against a scripted API (the end-to-end tests run it
 * against the real server): polling, the loopback callback, Retry-After, back-off, timeout.
 */
import { createHarmontClient, verificationPhrase } from "@harmont/cloud";
import { describe, expect, it } from "vitest";
import { loginWithBrowser, type BrowserLoginEvent } from "./browser-login.js";
import type { BrowserOpener } from "./opener.js";

type Answer = Response | Error;
const envelope = (status: number, code: string, headers: Record<string, string> = {}) =>
  Response.json({ error: { code, message: code, type: "x", doc_url: "", request_id: "r" } }, { status, headers });
const notYet = () => envelope(400, "cli_code_invalid");
const approved = () => Response.json({ token: "hmt_new" });

/** An API whose claim answers come from `answer(callNumber)`; records every claim. */
function scriptedApi(answer: (call: number) => Answer | Promise<Answer>) {
  const claims: Array<{ at: number; body: { nonce: string; name?: string } }> = [];
  const client = createHarmontClient({
    baseUrl: "http://api.test",
    fetch: async (input) => {
      const request = input as Request;
      expect(new URL(request.url).pathname).toBe("/api/v0/auth/cli/claim");
      claims.push({ at: Date.now(), body: (await request.json()) as { nonce: string; name?: string } });
      const result = await answer(claims.length);
      if (result instanceof Error) throw result;
      return result;
    },
  });
  return { client, claims, gaps: () => claims.slice(1).map((claim, index) => claim.at - claims[index]!.at) };
}

const doNothing: BrowserOpener = async () => ({ ok: true });

describe("loginWithBrowser", () => {
  it("announces the URL and phrase before opening, polls until approved, and closes the listener", async () => {
    const api = scriptedApi((call) => (call < 3 ? notYet() : approved()));
    const events: BrowserLoginEvent[] = [];
    let startedBeforeOpen = false;
    const open: BrowserOpener = async () => {
      startedBeforeOpen = events.some((event) => event.type === "started");
      return { ok: true };
    };
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", sessionName: "tool on box", open, pollIntervalMs: 30, callbackGraceMs: 50, onEvent: (event) => events.push(event) });

    expect(result).toEqual({ ok: true, token: "hmt_new" });
    expect(startedBeforeOpen).toBe(true);
    const started = events.find((event) => event.type === "started")!;
    if (started.type !== "started") throw new Error("unreachable");
    const url = new URL(started.url);
    expect(url.searchParams.get("nonce")).toBe(started.nonce);
    expect(started.phrase).toBe(await verificationPhrase(started.nonce));
    expect(api.claims.map((claim) => claim.body)).toEqual(Array(3).fill({ nonce: started.nonce, name: "tool on box" }));
    for (const gap of api.gaps()) expect(gap).toBeGreaterThanOrEqual(25);
    await expect(fetch(`http://127.0.0.1:${started.port}/callback`)).rejects.toThrow(); // listener closed
  });

  it("claims at once when the browser comes back to the loopback callback, and answers it once the token is in hand", async () => {
    let parked = false;
    const api = scriptedApi(() => (parked ? approved() : notYet()));
    let callbackPage: Promise<Response> | null = null;
    const open: BrowserOpener = async (url) => {
      const page = new URL(url);
      setTimeout(() => {
        parked = true; // Authorize: the web app parks the token, then calls the callback in the background
        callbackPage = fetch(`http://127.0.0.1:${page.searchParams.get("port")}/callback?state=${page.searchParams.get("state")}`, {
          headers: { origin: "http://web.test" },
        });
      }, 100);
      return { ok: true };
    };
    const started = Date.now();
    // Polling once a minute: only the callback can make this finish quickly.
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test/app/", open, pollIntervalMs: 60_000 });
    expect(result).toEqual({ ok: true, token: "hmt_new" });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(api.claims).toHaveLength(2);
    // The answer came after the claim, says so, and the web app's origin may read it.
    const answer = await callbackPage!;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe("http://web.test");
    expect(await answer.text()).toContain("Your terminal is signed in");
  });

  it("tells a waiting callback that the terminal is not signed in when the claim fails", async () => {
    let parked = false;
    const api = scriptedApi(() => (parked ? envelope(400, "invalid_request") : notYet()));
    let callbackPage: Promise<Response> | null = null;
    const open: BrowserOpener = async (url) => {
      const page = new URL(url);
      setTimeout(() => {
        parked = true;
        callbackPage = fetch(`http://127.0.0.1:${page.searchParams.get("port")}/callback?state=${page.searchParams.get("state")}`);
      }, 50);
      return { ok: true };
    };
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open, pollIntervalMs: 60_000 });
    expect(result).toMatchObject({ ok: false, reason: "failed", code: "invalid_request" });
    const answer = await callbackPage!;
    expect(answer.status).toBe(500);
    expect(await answer.text()).toContain("Your terminal did not finish signing in");
  });

  it("keeps the listener open for a redirect that arrives just after a poll won the claim", async () => {
    const api = scriptedApi(() => approved()); // the poll wins before the browser is redirected
    let callbackPage: Promise<Response> | null = null;
    const events: BrowserLoginEvent[] = [];
    const open: BrowserOpener = async (url) => {
      const page = new URL(url);
      setTimeout(() => {
        callbackPage = fetch(`http://127.0.0.1:${page.searchParams.get("port")}/callback?state=${page.searchParams.get("state")}`);
      }, 300);
      return { ok: true };
    };
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open, pollIntervalMs: 10, onEvent: (event) => events.push(event) });
    expect(result).toEqual({ ok: true, token: "hmt_new" });
    expect(api.claims).toHaveLength(1);
    expect(callbackPage).not.toBeNull();
    const page = await callbackPage!;
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain("Your terminal is signed in");
    expect(text).toContain("You can close this tab");
    expect(events.map((event) => event.type)).toContain("callback_received");
  });

  it("does not wait long for a redirect that never comes (the browser is on another machine)", async () => {
    const api = scriptedApi(() => approved());
    const started = Date.now();
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 10, callbackGraceMs: 200 });
    expect(result).toEqual({ ok: true, token: "hmt_new" });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
  });

  it("stops on Deny (403 cli_handoff_denied)", async () => {
    const api = scriptedApi((call) => (call < 2 ? notYet() : envelope(403, "cli_handoff_denied")));
    expect(await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 10 })).toEqual({ ok: false, reason: "denied" });
  });

  it("honours Retry-After on 429 instead of polling at its own pace", async () => {
    const api = scriptedApi((call) => (call === 1 ? envelope(429, "rate_limited", { "retry-after": "1" }) : approved()));
    const events: BrowserLoginEvent[] = [];
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 10, onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    expect(events).toContainEqual({ type: "rate_limited", retryInMs: 1000 });
    expect(api.gaps()[0]).toBeGreaterThanOrEqual(990);
  });

  it("backs off on network and server errors, and goes back to its pace once the server answers", async () => {
    const api = scriptedApi((call) => (call <= 3 ? new TypeError("fetch failed") : call === 4 ? envelope(503, "unavailable") : call === 5 ? notYet() : approved()));
    const events: BrowserLoginEvent[] = [];
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 20, onEvent: (event) => events.push(event) });
    expect(result.ok).toBe(true);
    const waits = events.filter((event) => event.type === "network_error" || event.type === "server_error").map((event) => ("retryInMs" in event ? event.retryInMs : 0));
    expect(waits).toEqual([20, 40, 80, 160]);
    const gaps = api.gaps();
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
    expect(gaps[3]).toBeGreaterThanOrEqual(150);
  });

  it("times out with a last claim at the deadline", async () => {
    const api = scriptedApi(() => notYet());
    const started = Date.now();
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 50, timeoutMs: 300 });
    expect(result).toEqual({ ok: false, reason: "timed_out", timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(api.claims.at(-1)!.at - started).toBeGreaterThanOrEqual(280);
    expect(api.claims.length).toBeLessThanOrEqual(9);
  });

  it("says the server was unreachable, not that nobody answered, when it never answered until the deadline", async () => {
    const api = scriptedApi(() => new TypeError("fetch failed"));
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 50, timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: "unreachable" });
    // One answer from the server before the deadline makes it a timeout again.
    const recovered = scriptedApi((call) => (call === 1 ? new TypeError("fetch failed") : notYet()));
    const timedOut = await loginWithBrowser({ client: recovered.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 50, timeoutMs: 1500 });
    expect(timedOut).toEqual({ ok: false, reason: "timed_out", timeoutMs: 1500 });
  });

  it("gives up at once when the browser cannot be opened, so the caller can offer a paste code", async () => {
    const api = scriptedApi(() => notYet());
    const open: BrowserOpener = async () => new Promise((resolve) => setTimeout(() => resolve({ ok: false, reason: "xdg-open exited with code 3" }), 50));
    const started = Date.now();
    const result = await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open, pollIntervalMs: 10_000 });
    expect(result).toMatchObject({ ok: false, reason: "open_failed", detail: "xdg-open exited with code 3" });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("stops when aborted, and on an answer it does not expect", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const api = scriptedApi(() => notYet());
    expect(await loginWithBrowser({ client: api.client, webUrl: "http://web.test", open: doNothing, pollIntervalMs: 10_000, signal: controller.signal })).toEqual({ ok: false, reason: "aborted" });

    const broken = scriptedApi(() => envelope(400, "invalid_request"));
    expect(await loginWithBrowser({ client: broken.client, webUrl: "http://web.test", open: doNothing })).toMatchObject({ ok: false, reason: "failed", status: 400, code: "invalid_request" });
  });
});
