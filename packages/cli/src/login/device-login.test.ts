/**
 * The device flow's pace and endings, against a scripted authorization server on a fake clock
 * (the end-to-end tests run it against the real server): the interval before every poll,
 * slow_down for good, Retry-After, back-off, the RFC 8628 endings, discovery's refusals.
 */
import { createHarmontClient } from "@harmont/cloud";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loginWithDeviceCode, type DeviceLoginEvent, type DeviceLoginOptions } from "./device-login.js";

const issuer = "http://127.0.0.1:9";
type Answer = Response | Error;
const oauthError = (error: string, status = 400, headers: Record<string, string> = {}) =>
  Response.json({ error, error_description: `${error}, in words` }, { status, headers: { "cache-control": "no-store", ...headers } });
const token = () => Response.json({ access_token: "hmt_device", token_type: "Bearer", expires_in: 2_592_000 });

interface Recorded {
  at: number;
  path: string;
  headers: Headers;
  body: URLSearchParams;
}

/** A server with RFC 8414 metadata, codes that live `expiresIn` seconds, and scripted token answers. */
function scriptedServer(polls: Array<Answer | (() => Answer)>, options: { interval?: number; expiresIn?: number; metadata?: Response } = {}) {
  const requests: Recorded[] = [];
  const client = createHarmontClient({
    baseUrl: issuer,
    headers: { "User-Agent": "acme-cli/2.0.0 (linux)" },
    token: "hmt_not_to_be_sent",
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      requests.push({ at: Date.now(), path, headers: request.headers, body: new URLSearchParams(await request.text()) });
      if (path === "/.well-known/oauth-authorization-server") {
        return (
          options.metadata ??
          Response.json({
            issuer,
            device_authorization_endpoint: `${issuer}/api/v0/oauth/device_authorization`,
            token_endpoint: `${issuer}/api/v0/oauth/token`,
          })
        );
      }
      if (path === "/api/v0/oauth/device_authorization") {
        return Response.json({
          device_code: "hmd_device",
          user_code: "BCDF-GHJK",
          verification_uri: `${issuer}/device`,
          verification_uri_complete: `${issuer}/device?user_code=BCDF-GHJK`,
          expires_in: options.expiresIn ?? 300,
          ...(options.interval === undefined ? {} : { interval: options.interval }),
        });
      }
      const next = polls.shift() ?? oauthError("authorization_pending");
      const answer = typeof next === "function" ? next() : next;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  const pollTimes = () => {
    const started = requests.find((request) => request.path === "/api/v0/oauth/device_authorization")!.at;
    return requests.filter((request) => request.path === "/api/v0/oauth/token").map((request) => request.at - started);
  };
  return { client, requests, pollTimes };
}

/** Runs the login to its end on the fake clock. */
async function run(options: DeviceLoginOptions) {
  const events: DeviceLoginEvent[] = [];
  const login = loginWithDeviceCode({ ...options, onEvent: (event) => events.push(event) });
  await vi.runAllTimersAsync();
  return { result: await login, events };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("loginWithDeviceCode", () => {
  it("asks for the codes as harmont-cli with the client's User-Agent and no token, and announces them", async () => {
    const server = scriptedServer([token()], { interval: 2 });
    const { result, events } = await run({ client: server.client, sessionName: "acme CLI on box" });
    expect(result).toEqual({ ok: true, token: "hmt_device" });
    expect(events).toEqual([
      {
        type: "started",
        userCode: "BCDF-GHJK",
        verificationUri: `${issuer}/device`,
        verificationUriComplete: `${issuer}/device?user_code=BCDF-GHJK`,
        expiresAt: expect.any(Number) as number,
        intervalMs: 2000,
      },
    ]);
    const [discovery, authorization, poll] = server.requests;
    expect(discovery!.path).toBe("/.well-known/oauth-authorization-server");
    expect(Object.fromEntries(authorization!.body)).toEqual({ client_id: "harmont-cli", name: "acme CLI on box" });
    expect(Object.fromEntries(poll!.body)).toEqual({ client_id: "harmont-cli", grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: "hmd_device" });
    for (const request of server.requests) {
      expect(request.headers.get("user-agent")).toBe("acme-cli/2.0.0 (linux)");
      expect(request.headers.get("authorization")).toBeNull(); // a public client sends no credentials
    }
  });

  it("waits the interval before every poll, and 5 s more for good after each slow_down", async () => {
    const server = scriptedServer([oauthError("authorization_pending"), oauthError("slow_down"), oauthError("authorization_pending"), oauthError("slow_down"), token()], { interval: 2 });
    const { result, events } = await run({ client: server.client });
    expect(result).toEqual({ ok: true, token: "hmt_device" });
    expect(server.pollTimes()).toEqual([2000, 4000, 11_000, 18_000, 30_000]);
    expect(events.filter((event) => event.type === "slow_down")).toEqual([
      { type: "slow_down", intervalMs: 7000 },
      { type: "slow_down", intervalMs: 12_000 },
    ]);
  });

  it("polls every 5 s when the server names no interval", async () => {
    const server = scriptedServer([oauthError("authorization_pending"), token()]);
    await run({ client: server.client });
    expect(server.pollTimes()).toEqual([5000, 10_000]);
  });

  it("waits out Retry-After on 429, and backs off on server and network errors, never below the interval", async () => {
    const server = scriptedServer(
      [
        oauthError("rate_limited", 429, { "retry-after": "12" }),
        oauthError("temporarily_unavailable", 503),
        new TypeError("fetch failed"),
        new Response("<html>bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
        token(),
      ],
      { interval: 1 },
    );
    const { result, events } = await run({ client: server.client });
    expect(result).toEqual({ ok: true, token: "hmt_device" });
    // 1 s, then Retry-After 12 s, then the back-off: 2 s, 4 s, 8 s (the 429 counts as a failure).
    expect(server.pollTimes()).toEqual([1000, 13_000, 15_000, 19_000, 27_000]);
    expect(events.slice(1)).toEqual([
      { type: "rate_limited", retryInMs: 12_000 },
      { type: "server_error", status: 503, code: "temporarily_unavailable", retryInMs: 2000 },
      { type: "network_error", error: expect.any(TypeError) as Error, retryInMs: 4000 },
      { type: "server_error", status: 502, code: "http_502", retryInMs: 8000 },
    ]);
  });

  it("ends on access_denied, expired_token, invalid_grant and invalid_client, as RFC 8628 says", async () => {
    expect((await run({ client: scriptedServer([oauthError("authorization_pending"), oauthError("access_denied")], { interval: 1 }).client })).result).toEqual({ ok: false, reason: "denied" });
    expect((await run({ client: scriptedServer([oauthError("expired_token")], { interval: 1 }).client })).result).toEqual({ ok: false, reason: "expired" });
    expect((await run({ client: scriptedServer([oauthError("invalid_grant")], { interval: 1 }).client })).result).toEqual({
      ok: false,
      reason: "failed",
      status: 400,
      code: "invalid_grant",
      message: "invalid_grant, in words",
    });
    expect((await run({ client: scriptedServer([oauthError("invalid_client", 401)], { interval: 1 }).client })).result).toMatchObject({ ok: false, reason: "failed", status: 401, code: "invalid_client" });
  });

  it("stops at the timeout, and sends it as expires_in only when it is shorter than the usual 5 minutes", async () => {
    const short = scriptedServer([], { interval: 2, expiresIn: 5 });
    const { result, events } = await run({ client: short.client, timeoutMs: 5000 });
    expect(result).toEqual({ ok: false, reason: "timed_out", timeoutMs: 5000 });
    expect(short.pollTimes()).toEqual([2000, 4000]);
    expect(short.requests[1]!.body.get("expires_in")).toBe("5");
    expect(events[0]).toMatchObject({ type: "started", expiresAt: Date.now() });

    const long = scriptedServer([token()], { interval: 1 });
    await run({ client: long.client, timeoutMs: 10 * 60_000 });
    expect(long.requests[1]!.body.has("expires_in")).toBe(false);

    // The server's own expiry, when it comes first, ends the wait as expired.
    const expiring = scriptedServer([], { interval: 2, expiresIn: 3 });
    expect((await run({ client: expiring.client })).result).toEqual({ ok: false, reason: "expired" });
    expect(expiring.pollTimes()).toEqual([2000]);
  });

  it("stops when aborted, without another poll", async () => {
    const server = scriptedServer([], { interval: 5 });
    const controller = new AbortController();
    const login = loginWithDeviceCode({ client: server.client, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(12_000);
    controller.abort();
    await vi.runAllTimersAsync();
    expect(await login).toEqual({ ok: false, reason: "aborted" });
    expect(server.pollTimes()).toEqual([5000, 10_000]);
  });

  it("refuses a server whose metadata names another issuer, and one without the device grant", async () => {
    const mismatch = scriptedServer([], { metadata: Response.json({ issuer: "https://auth.example.com", device_authorization_endpoint: "https://auth.example.com/d", token_endpoint: "https://auth.example.com/t" }) });
    expect((await run({ client: mismatch.client })).result).toEqual({ ok: false, reason: "issuer_mismatch", expected: issuer, issuer: "https://auth.example.com" });
    expect(mismatch.requests).toHaveLength(1); // no codes asked for

    const noDevice = scriptedServer([], { metadata: Response.json({ issuer, token_endpoint: `${issuer}/t` }) });
    expect((await run({ client: noDevice.client })).result).toMatchObject({ ok: false, reason: "unsupported", detail: expect.stringContaining("device_authorization_endpoint") });

    const missing = scriptedServer([], { metadata: Response.json({ error: { code: "not_found" } }, { status: 404 }) });
    expect((await run({ client: missing.client })).result).toMatchObject({ ok: false, reason: "unsupported", detail: expect.stringContaining("no OAuth metadata") });
  });

  it("sends nothing over plain http to another machine", async () => {
    let requests = 0;
    const client = createHarmontClient({ baseUrl: "http://auth.example.com", fetch: async () => (requests++, token()) });
    expect((await run({ client })).result).toMatchObject({ ok: false, reason: "unsupported", detail: expect.stringContaining("needs https") });
    expect(requests).toBe(0);
  });

  it("is unreachable when discovery cannot reach the server", async () => {
    const client = createHarmontClient({ baseUrl: issuer, fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    expect((await run({ client })).result).toMatchObject({ ok: false, reason: "unreachable", error: expect.any(TypeError) as Error });
  });
});
