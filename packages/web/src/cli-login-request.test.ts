import { describe, expect, it } from "vitest";
import { loopbackCallbackUrl, parseCliLoginQuery, parsePort } from "./cli-login-request";

const nonce = "a7Kp_-0123456789abcdefXYZ";

describe("parseCliLoginQuery", () => {
  it("reads a browser handoff: nonce, port, state and name", () => {
    expect(parseCliLoginQuery(`?nonce=${nonce}&port=51234&state=abc&name=harmont%20CLI%20on%20box`, 5)).toEqual({
      kind: "handoff",
      request: { nonce, port: 51234, state: "abc", name: "harmont CLI on box", receivedAt: 5 },
    });
  });

  it("keeps a missing state apart from an empty one (Harmont's hm CLI sends none)", () => {
    const parsed = parseCliLoginQuery(`?nonce=${nonce}&port=51234`);
    expect(parsed.kind === "handoff" && parsed.request.state).toBeNull();
  });

  it("reads the paste page", () => {
    expect(parseCliLoginQuery("?paste=true")).toEqual({ kind: "paste" });
  });

  it("refuses a missing or malformed nonce (22 to 256 characters of base64url)", () => {
    expect(parseCliLoginQuery("")).toEqual({ kind: "invalid", reason: "missing" });
    expect(parseCliLoginQuery("?nonce=")).toEqual({ kind: "invalid", reason: "missing" });
    for (const bad of ["a".repeat(21), "a".repeat(257), `${"a".repeat(30)}!`, `${"a".repeat(30)}=`, `${"a".repeat(30)} b`]) {
      expect(parseCliLoginQuery(`?nonce=${encodeURIComponent(bad)}`), bad).toEqual({ kind: "invalid", reason: "malformed" });
    }
    expect(parseCliLoginQuery(`?nonce=${"a".repeat(22)}`).kind).toBe("handoff");
    expect(parseCliLoginQuery(`?nonce=${"a".repeat(256)}`).kind).toBe("handoff");
  });

  it("cuts a long name to 100 characters", () => {
    const parsed = parseCliLoginQuery(`?nonce=${nonce}&name=${"x".repeat(300)}`);
    expect(parsed.kind === "handoff" && parsed.request.name).toBe("x".repeat(100));
  });
});

describe("parsePort", () => {
  it("takes integers from 1024 to 65535 only", () => {
    expect(parsePort("1024")).toBe(1024);
    expect(parsePort("65535")).toBe(65535);
    for (const bad of [null, "", "80", "1023", "65536", "99999", "8080.5", "-8080", "0x1f90", " 8080", "8080abc", "1e4"]) {
      expect(parsePort(bad), String(bad)).toBeNull();
    }
  });
});

describe("loopbackCallbackUrl", () => {
  it("always goes to 127.0.0.1, with the state encoded, or an empty state when there is none", () => {
    expect(loopbackCallbackUrl({ port: 51234, state: "a b&c" })).toBe("http://127.0.0.1:51234/callback?state=a%20b%26c");
    expect(loopbackCallbackUrl({ port: 51234, state: null })).toBe("http://127.0.0.1:51234/callback?state=");
    expect(loopbackCallbackUrl({ port: null, state: "abc" })).toBeNull();
  });
});
