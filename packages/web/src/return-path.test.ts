import { describe, expect, it } from "vitest";
import { safeReturnPath, signInPath } from "./return-path";

const origin = "https://auth.example.com";

describe("safeReturnPath", () => {
  it("keeps paths on this origin, with their query", () => {
    expect(safeReturnPath("/cli-login", origin)).toBe("/cli-login");
    expect(safeReturnPath("/cli-login?paste=true", origin)).toBe("/cli-login?paste=true");
    expect(safeReturnPath("/account#sessions", origin)).toBe("/account#sessions");
  });

  it("refuses anything that could leave the origin (open redirect)", () => {
    for (const raw of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "\\\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "javascript:alert(1)",
      // Dot segments resolve to "//host", which a browser reads as another origin.
      "/.//evil.example",
      "/..//evil.example",
      "/./..//evil.example",
      "/a/..//evil.example",
      "/%2e//evil.example",
      "/%2e%2e//evil.example",
      "/./\\evil.example",
      "\t//evil.example",
      " //evil.example",
      "https:evil.example",
      "http:/evil.example",
      "/\\/evil.example",
      "//google.com%2f@evil.example",
      "data:text/html,<script>alert(1)</script>",
      "evil.example",
      "",
      null,
      undefined,
    ]) {
      expect(safeReturnPath(raw, origin), String(raw)).toBeNull();
    }
  });

  it("never yields a path a browser would take to another origin, whatever the trick", () => {
    // Tricks from the OWASP open-redirect and URL-parsing lists, relative to this origin.
    const tricks = [
      "/.%2f/evil.example",
      "/%2f%2fevil.example",
      "/%5cevil.example",
      "/ /evil.example",
      "/\u3000/evil.example",
      "/@evil.example",
      "/evil.example%23@auth.example.com",
      "/;@evil.example",
      "/%09/evil.example",
      "/%0a/evil.example",
      "/..;//evil.example",
      "/.../evil.example",
      "/%E3%80%82evil.example",
      "/?next=//evil.example",
      "/#//evil.example",
    ];
    for (const raw of tricks) {
      const path = safeReturnPath(raw, origin);
      if (path === null) continue;
      expect(path.startsWith("/") && !path.startsWith("//") && !path.includes("\\"), raw).toBe(true);
      expect(new URL(path, origin).origin, raw).toBe(origin);
    }
  });

  it("never returns to the sign-in pages themselves", () => {
    expect(safeReturnPath("/sign-in?return=%2Faccount", origin)).toBeNull();
    expect(safeReturnPath("/sign-up", origin)).toBeNull();
  });
});

describe("signInPath", () => {
  it("carries the return path encoded, and drops a return to the start page", () => {
    expect(signInPath("/cli-login?paste=true")).toBe("/sign-in?return=%2Fcli-login%3Fpaste%3Dtrue");
    expect(signInPath("/account", "/sign-up")).toBe("/sign-up?return=%2Faccount");
    expect(signInPath("/")).toBe("/sign-in");
    expect(signInPath(null)).toBe("/sign-in");
  });
});
