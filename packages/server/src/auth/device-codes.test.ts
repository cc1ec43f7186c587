import { describe, expect, it } from "vitest";
import { describeRequestingClient, formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from "./device-codes.js";

describe("user codes", () => {
  it("are 8 letters of an alphabet without vowels or digits, every letter drawn, shown as XXXX-XXXX", () => {
    const seen = new Set<string>();
    for (let index = 0; index < 500; index++) {
      const code = generateUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const letter of code) seen.add(letter);
    }
    expect([...seen].sort().join("")).toBe(USER_CODE_ALPHABET);
    expect(formatUserCode("BCDFGHJK")).toBe("BCDF-GHJK");
  });

  it("are read in any case, with dashes, spaces and punctuation ignored, and fullwidth letters folded", () => {
    for (const typed of ["BCDF-GHJK", "bcdf-ghjk", " bcdf ghjk ", "BCDF_GHJK", "B.C.D.F.G.H.J.K", "ＢＣＤＦ－ＧＨＪＫ"]) {
      expect(normalizeUserCode(typed), typed).toBe("BCDFGHJK");
    }
  });

  it("refuse another length, a vowel or digit, and anything over 32 characters", () => {
    for (const typed of ["BCDF-GHJ", "BCDF-GHJKL", "ABCD-FGHJ", "BCDF-GHJ1", "", `${"-".repeat(30)}BCDFGHJK`]) {
      expect(normalizeUserCode(typed), typed).toBeNull();
    }
  });
});

describe("describeRequestingClient", () => {
  it("names the product, its version and the system from a User-Agent, and nothing from one that names no product", () => {
    expect(describeRequestingClient("harmont-cli/0.2.0 (linux; x64) node/20.20.2")).toBe("harmont-cli 0.2.0 on Linux");
    expect(describeRequestingClient("acme/1.4 (darwin arm64)")).toBe("acme 1.4 on macOS");
    expect(describeRequestingClient("curl/8.5.0")).toBe("curl 8.5.0");
    expect(describeRequestingClient("not a user agent")).toBeNull();
    expect(describeRequestingClient(null)).toBeNull();
  });
});
