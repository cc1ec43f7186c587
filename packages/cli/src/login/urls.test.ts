import { describe, expect, it } from "vitest";
import { buildBrowserLoginUrl, buildPasteUrl, cutSessionName, defaultSessionName, MAX_SESSION_NAME_LENGTH, normalizeApiUrl } from "./urls.js";

describe("session names", () => {
  it("reads 'harmont CLI on <hostname>'", () => {
    expect(defaultSessionName(undefined, "ada-laptop")).toBe("harmont CLI on ada-laptop");
    expect(defaultSessionName("acme CLI", "build-7")).toBe("acme CLI on build-7");
    expect(defaultSessionName(undefined, "")).toBe("harmont CLI on this computer");
  });

  it("are cut to 100 characters, counting an emoji as one and never splitting it", () => {
    const long = defaultSessionName(undefined, "h".repeat(300));
    expect(long).toHaveLength(MAX_SESSION_NAME_LENGTH);
    expect(long.startsWith("harmont CLI on hhh")).toBe(true);
    const emoji = cutSessionName("🦊".repeat(150));
    expect(Array.from(emoji)).toHaveLength(100);
    expect(emoji).toBe("🦊".repeat(100));
  });

  it("turn control characters and runs of white space into single spaces", () => {
    expect(cutSessionName("  a\u0000b\n\tc\u202e d  ")).toBe("a b c d");
    expect(cutSessionName(`${"x".repeat(99)} y`)).toBe("x".repeat(99)); // no trailing space after the cut
  });
});

describe("normalizeApiUrl", () => {
  it("keeps one form: no trailing slash, no query or fragment", () => {
    expect(normalizeApiUrl("http://localhost:8080/")).toBe("http://localhost:8080");
    expect(normalizeApiUrl(" https://Auth.Example.com/base/?x=1#y ")).toBe("https://auth.example.com/base");
  });

  it("refuses what is not an absolute http(s) URL, or carries credentials", () => {
    for (const text of ["localhost:8080", "ftp://example.com", "", "https://user:pass@example.com", "not a url"]) {
      expect(normalizeApiUrl(text), text).toBeNull();
    }
  });
});

describe("login page URLs", () => {
  it("carry nonce, port, state and name, URL-encoded, under the web app's path", () => {
    const url = new URL(buildBrowserLoginUrl("https://app.example.com/console/", { nonce: "n0nce_-", port: 49152, state: "st&ate", name: "harmont CLI on ada's laptop" }));
    expect(url.origin + url.pathname).toBe("https://app.example.com/console/cli-login");
    expect(Object.fromEntries(url.searchParams)).toEqual({ nonce: "n0nce_-", port: "49152", state: "st&ate", name: "harmont CLI on ada's laptop" });
    expect([...url.searchParams.keys()]).toEqual(["nonce", "port", "state", "name"]);
  });

  it("leave out the port and state when there is no loopback listener", () => {
    const url = new URL(buildBrowserLoginUrl("http://localhost:5173", { nonce: "abc", port: null, state: null }));
    expect([...url.searchParams.keys()]).toEqual(["nonce"]);
  });

  it("the paste page is <web>/cli-login?paste=true", () => {
    expect(buildPasteUrl("https://app.example.com")).toBe("https://app.example.com/cli-login?paste=true");
    expect(buildPasteUrl("https://app.example.com/console/")).toBe("https://app.example.com/console/cli-login?paste=true");
  });
});
