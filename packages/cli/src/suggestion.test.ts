import { describe, expect, it } from "vitest";
import { closestMatches, didYouMean, editDistance } from "./suggestion.js";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions, and a swap of neighbours as one", () => {
    expect(editDistance("json", "json")).toBe(0);
    expect(editDistance("jsn", "json")).toBe(1);
    expect(editDistance("jsoon", "json")).toBe(1);
    expect(editDistance("jsom", "json")).toBe(1);
    expect(editDistance("stauts", "status")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closestMatches", () => {
  const commands = ["login", "logout", "status", "whoami", "token", "sessions"];
  const flags = ["api-url", "profile", "json", "no-color", "help", "version"];

  it("suggests the name a small typo meant", () => {
    expect(closestMatches("stauts", commands)).toEqual(["status"]);
    expect(closestMatches("sesions", commands)).toEqual(["sessions"]);
    expect(closestMatches("jsn", flags)).toEqual(["json"]);
    expect(closestMatches("prfile", flags)).toEqual(["profile"]);
    expect(closestMatches("no-colour", flags)).toEqual(["no-color"]);
    expect(closestMatches("JSON", flags)).toEqual(["json"]);
  });

  it("offers every name a beginning fits, and all of those that tie", () => {
    expect(closestMatches("stat", commands)).toEqual(["status"]);
    expect(closestMatches("log", commands)).toEqual(["login", "logout"]);
    expect(closestMatches("logn", commands)).toEqual(["login"]);
  });

  it("suggests nothing when nothing is close", () => {
    expect(closestMatches("frobnicate", commands)).toEqual([]);
    expect(closestMatches("nope", flags)).toEqual([]);
    expect(closestMatches("pste", flags)).toEqual([]);
    expect(closestMatches("lo", commands)).toEqual([]);
    expect(closestMatches("", commands)).toEqual([]);
  });
});

describe("didYouMean", () => {
  it("quotes one or several names, and is null for none", () => {
    expect(didYouMean(["--json"])).toBe("did you mean `--json`?");
    expect(didYouMean(["login", "logout"])).toBe("did you mean `login` or `logout`?");
    expect(didYouMean(["a", "b", "c"])).toBe("did you mean `a`, `b` or `c`?");
    expect(didYouMean([])).toBeNull();
  });
});
