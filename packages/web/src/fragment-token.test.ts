import { describe, expect, it } from "vitest";
import { fragmentParams, isLinkToken, tokenFromFragment } from "./fragment-token";

const body = "Jx2bGv0Qe8r5s1tWc9kLmNpAa3zYdFhUiO4o6u7X_yw";
const code = `hbt_${body}`;

describe("fragment tokens", () => {
  it("knows a token by its prefix and 43 characters of base64url", () => {
    expect(isLinkToken(code, "hbt_")).toBe(true);
    expect(isLinkToken(`hin_${body}`, "hin_")).toBe(true);
    for (const value of [`hin_${body}`, `hbt_${body}x`, `hbt_${body.slice(1)}`, `hbt_${body.slice(1)}=`, `hbt_${body.slice(1)}+`, "hbt_", ""]) {
      expect(isLinkToken(value, "hbt_")).toBe(false);
    }
  });

  it("reads the code of a `harmont open` link under `code`, beside `next`", () => {
    expect(tokenFromFragment(`#code=${code}&next=%2Faccount`, "hbt_", "code")).toBe(code);
    expect(tokenFromFragment(`#next=%2Faccount&code=${code}`, "hbt_", "code")).toBe(code);
    expect(tokenFromFragment(`code=${code}`, "hbt_", "code")).toBe(code);
    // Under the other key, of another prefix, damaged, or absent: none.
    for (const hash of [`#token=${code}`, `#code=hrt_${body}`, `#code=${code}x`, `#code=${code.slice(0, -1)}`, "#code=", "#next=%2Faccount", "#", ""]) {
      expect(tokenFromFragment(hash, "hbt_", "code")).toBeNull();
    }
  });

  it("still reads mailed links under `token` by default", () => {
    expect(tokenFromFragment(`#token=hrt_${body}`, "hrt_")).toBe(`hrt_${body}`);
    expect(tokenFromFragment(`#code=hrt_${body}`, "hrt_")).toBeNull();
  });

  it("decodes the other parameters of a fragment", () => {
    const params = fragmentParams(`#code=${code}&next=${encodeURIComponent("/orgs/org_1?tab=members#top")}`);
    expect(params.get("next")).toBe("/orgs/org_1?tab=members#top");
    expect(fragmentParams("").get("next")).toBeNull();
  });
});
