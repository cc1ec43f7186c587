import type { SessionList } from "@harmont/cloud";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findClaimedSession, mayNudgeQuietly, nudgeLoopback, sessionIds } from "./cli-handoff-outcome";

type Listed = SessionList["sessions"][number];
const session = (id: string, fields: Partial<Listed> = {}): Listed => ({
  id,
  kind: "web",
  name: id,
  created_at: "2026-01-01T00:00:00.000Z",
  last_used_at: "2026-01-01T00:00:00.000Z",
  expires_at: "2026-02-01T00:00:00.000Z",
  second_factor_verified: false,
  impersonated: false,
  client_id: null,
  parent_session_id: null,
  org_id: null,
  org_role: null,
  device: null,
  ip: null,
  current: false,
  ...fields,
});

describe("findClaimedSession", () => {
  const browser = session("ses_browser", { current: true });
  const before = sessionIds({ sessions: [browser, session("ses_old_cli", { kind: "cli", parent_session_id: "ses_browser" })] });

  it("finds the CLI session this browser session made after the approval", () => {
    const claimed = session("ses_new_cli", { kind: "cli", parent_session_id: "ses_browser", name: "harmont CLI on box" });
    expect(findClaimedSession({ sessions: [claimed, browser] }, before)).toBe(claimed);
  });

  it("ignores CLI sessions that were there before, made by another session, and web sessions", () => {
    const list = {
      sessions: [
        browser,
        session("ses_old_cli", { kind: "cli", parent_session_id: "ses_browser" }),
        session("ses_other_cli", { kind: "cli", parent_session_id: "ses_other_browser" }),
        session("ses_paste_cli", { kind: "cli", parent_session_id: null }),
        session("ses_new_web"),
      ],
    };
    expect(findClaimedSession(list, before)).toBeNull();
    // Without the current session in the list, nothing can be told apart.
    expect(findClaimedSession({ sessions: [session("ses_new_cli", { kind: "cli", parent_session_id: "ses_browser" })] }, before)).toBeNull();
  });
});

describe("mayNudgeQuietly", () => {
  const permissions = (answers: Record<string, PermissionState>) => ({
    query: async ({ name }: { name: string }) => {
      const state = answers[name];
      if (!state) throw new TypeError(`'${name}' is not a valid permission name`);
      return { state } as PermissionStatus;
    },
  });

  it("nudges from a page on this machine without asking: nothing is gated there", async () => {
    for (const hostname of ["127.0.0.1", "localhost", "[::1]", "harmont.localhost"]) {
      expect(await mayNudgeQuietly(hostname, permissions({ "loopback-network": "prompt" }))).toBe(true);
    }
  });

  it("from a public page, only with the permission already granted, under either of its names", async () => {
    expect(await mayNudgeQuietly("auth.example.com", permissions({ "loopback-network": "granted" }))).toBe(true);
    expect(await mayNudgeQuietly("auth.example.com", permissions({ "local-network-access": "granted" }))).toBe(true);
    expect(await mayNudgeQuietly("auth.example.com", permissions({ "loopback-network": "prompt" }))).toBe(false);
    expect(await mayNudgeQuietly("auth.example.com", permissions({ "local-network-access": "denied" }))).toBe(false);
  });

  it("nudges when the browser has no such permission (nothing to ask)", async () => {
    expect(await mayNudgeQuietly("auth.example.com", permissions({}))).toBe(true);
    expect(await mayNudgeQuietly("auth.example.com", undefined)).toBe(true);
  });
});

describe("nudgeLoopback", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("sends a plain GET without cookies or Referer, and resolves true once the listener answers", async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      return new Response("ok", { status: 200 });
    });
    expect(await nudgeLoopback("http://127.0.0.1:51234/callback?state=s")).toBe(true);
    expect(calls).toEqual([
      ["http://127.0.0.1:51234/callback?state=s", expect.objectContaining({ mode: "cors", credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store" })],
    ]);
  });

  it("resolves false when nothing listens or the answer takes too long; never rejects", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    expect(await nudgeLoopback("http://127.0.0.1:9/callback?state=s")).toBe(false);

    vi.stubGlobal("fetch", (_url: string, init?: RequestInit) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))));
    const started = Date.now();
    expect(await nudgeLoopback("http://127.0.0.1:51234/callback?state=s", 100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
