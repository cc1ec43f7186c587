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
      "evil.example",
      "",
      null,
      undefined,
    ]) {
      expect(safeReturnPath(raw, origin), String(raw)).toBeNull();
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
