import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCliOpenLink, currentCliOpenLink, defaultNext, forgetCliOpenCode, parseCliOpenFragment } from "./cli-open-link";

const origin = "https://auth.example.com";
const code = `hbt_${"A".repeat(43)}`;
/** The fragment the CLI makes: the server's `#code=…`, then `&next=` and the path, encoded. */
const link = (next?: string) => `#code=${code}${next === undefined ? "" : `&next=${encodeURIComponent(next)}`}`;

describe("parseCliOpenFragment", () => {
  it("reads the code and the path to go to", () => {
    expect(parseCliOpenFragment(link("/account"), origin)).toEqual({ code, next: "/account" });
    expect(parseCliOpenFragment(link("/orgs/org_1?tab=members"), origin)).toEqual({ code, next: "/orgs/org_1?tab=members" });
  });

  it("goes to the account page without a next, or with one that is unsafe or this page again", () => {
    expect(defaultNext).toBe("/account");
    for (const next of [undefined, "", "https://evil.example", "//evil.example", "/\\evil.example", "/.//evil.example", "account", "/sign-in", "/cli-open", "/cli-open?x=1", "/cli-open/"]) {
      expect(parseCliOpenFragment(link(next), origin)).toEqual({ code, next: "/account" });
    }
    // Only the page itself: a path that merely starts the same is fine.
    expect(parseCliOpenFragment(link("/cli-opener"), origin).next).toBe("/cli-opener");
  });

  it("has no code when it is missing or not in the server's form, and keeps the next", () => {
    for (const hash of ["#next=%2Forgs%2Fnew", `#code=${code}x&next=%2Forgs%2Fnew`, `#code=hrt_${"A".repeat(43)}&next=%2Forgs%2Fnew`, `#token=${code}&next=%2Forgs%2Fnew`]) {
      expect(parseCliOpenFragment(hash, origin)).toEqual({ code: null, next: "/orgs/new" });
    }
  });
});

describe("captureCliOpenLink", () => {
  vi.stubGlobal("window", { location: { origin } });
  afterEach(() => forgetCliOpenCode());

  it("on /cli-open only, moves the fragment into memory and out of the address bar", () => {
    const replaced: string[] = [];
    captureCliOpenLink("/account", link("/orgs/new"), (path) => replaced.push(path));
    expect(replaced).toEqual([]);
    expect(currentCliOpenLink()).toEqual({ code: null, next: "/account" });

    captureCliOpenLink("/cli-open", link("/orgs/new"), (path) => replaced.push(path));
    expect(replaced).toEqual(["/cli-open"]);
    expect(currentCliOpenLink()).toEqual({ code, next: "/orgs/new" });

    // Once used or declined, the code is gone; where to go is not a secret.
    forgetCliOpenCode();
    expect(currentCliOpenLink()).toEqual({ code: null, next: "/orgs/new" });
  });

  it("clears a damaged link from the address bar too", () => {
    const replaced: string[] = [];
    captureCliOpenLink("/cli-open", "#code=garbage", (path) => replaced.push(path));
    expect(replaced).toEqual(["/cli-open"]);
    expect(currentCliOpenLink().code).toBeNull();
  });
});
