import { describe, expect, it } from "vitest";
import { isPlausibleEmail, normalizeEmail } from "./email-address.js";

describe("normalizeEmail", () => {
  it("trims, applies NFKC and lower-cases", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    expect(normalizeEmail("ａｄａ@ｅｘａｍｐｌｅ.com")).toBe("ada@example.com");
  });
});

describe("isPlausibleEmail", () => {
  it("accepts ordinary and international addresses", () => {
    for (const email of ["ada@example.com", "first.last+tag@sub.example.co.uk", "o'brien@example.ie", "jörg@bücher.de", "用户@例子.广告", "x@xn--bcher-kva.example"]) {
      expect(isPlausibleEmail(email), email).toBe(true);
    }
  });

  it("refuses control, format and separator characters anywhere", () => {
    for (const email of [
      "alice@example.com\u0000",
      "alice@example.com\u007f",
      "\u202ealice@example.com",
      "alice\u200b@example.com",
      "alice@exa\u00admple.com",
      "x\u0001@example.com",
      "x@exa\u0000mple.com",
      "ali ce@example.com",
      "alice@example.com\n",
      "alice\u00a0@example.com",
    ]) {
      expect(isPlausibleEmail(email), JSON.stringify(email)).toBe(false);
    }
  });

  it("refuses shapes that are not an address", () => {
    for (const email of [
      "not-an-email",
      "a@b",
      "@example.com",
      "alice@",
      "a@b@example.com",
      "x@example..com",
      "x@-example-.com",
      "x@.example.com",
      "x@example.com.",
      ".alice@example.com",
      "alice.@example.com",
      "al..ice@example.com",
      "' OR '1'='1",
      "alice@example.com' --",
      '"alice"@example.com',
      "alice@[127.0.0.1]",
      "alice@127.0.0.1",
      "<alice@example.com>",
      `${"a".repeat(65)}@example.com`,
      `a@${"b".repeat(64)}.com`,
      `a@${"b.".repeat(130)}com`,
    ]) {
      expect(isPlausibleEmail(email), email).toBe(false);
    }
  });
});
